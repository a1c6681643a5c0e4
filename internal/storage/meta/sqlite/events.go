package sqlite

import (
	"context"

	"github.com/modelry/modelry/internal/registry"
)

func (tx *writeTx) AppendEvent(ctx context.Context, e registry.Event) (int64, error) {
	data := "{}"
	if len(e.Data) > 0 {
		var err error
		if data, err = encodeJSON(e.Data); err != nil {
			return 0, err
		}
	}
	res, err := tx.c.exec(ctx, `INSERT INTO events (type, actor, model, version, data, at) VALUES (?, ?, ?, ?, ?, ?)`,
		e.Type, e.Actor, e.Model, e.Version, data, nanos(e.At))
	if err != nil {
		return 0, storeError(ctx, err, "append event %s", e.Type)
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return 0, storeError(ctx, err, "append event %s", e.Type)
	}
	return seq, nil
}

// ListEvents returns events after q.AfterSeq in increasing Seq order. Data
// comes back as decoded JSON: numbers are float64.
func (tx *readTx) ListEvents(ctx context.Context, q registry.EventQuery) ([]registry.Event, error) {
	conds, args := []string{"seq > ?"}, []any{q.AfterSeq}
	if q.Model != "" {
		conds, args = append(conds, "model = ?"), append(args, q.Model)
	}
	if q.Type != "" {
		conds, args = append(conds, "type = ?"), append(args, q.Type)
	}
	events, err := collect(ctx, tx.c, scanEvent, `SELECT seq, type, actor, model, version, data, at FROM events`+
		where(conds)+` ORDER BY seq LIMIT ?`, append(args, pageSize(q.Limit))...)
	if err != nil {
		return nil, storeError(ctx, err, "list events")
	}
	return events, nil
}

func scanEvent(row scanner) (registry.Event, error) {
	var e registry.Event
	var data string
	var at int64
	if err := row.Scan(&e.Seq, &e.Type, &e.Actor, &e.Model, &e.Version, &data, &at); err != nil {
		return e, err
	}
	e.At = fromNanos(at)
	var err error
	e.Data, err = decodeMap[any](data)
	return e, err
}
