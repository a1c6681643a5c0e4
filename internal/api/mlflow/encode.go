package mlflow

import (
	"net/http"
	"strconv"
	"unicode/utf8"
)

// A version search can answer 200,000 versions; encoding/json spends most of
// its time on reflection for them. writeVersions writes the same bytes as
// json.NewEncoder(w).Encode(searchVersionsResponse{...}) by hand
// (encode_test.go compares the two on generated values).

func writeVersions(w http.ResponseWriter, resp searchVersionsResponse) error {
	b := make([]byte, 0, 64+320*len(resp.Versions))
	b = append(b, '{')
	if len(resp.Versions) > 0 {
		b = append(b, `"model_versions":[`...)
		for i, v := range resp.Versions {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendModelVersion(b, v)
		}
		b = append(b, ']')
	}
	if resp.Next != "" {
		if len(resp.Versions) > 0 {
			b = append(b, ',')
		}
		b = append(b, `"next_page_token":`...)
		b = appendJSONString(b, resp.Next)
	}
	b = append(b, '}', '\n')
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(b)
	return err
}

// appendModelVersion appends v as encoding/json does: fields in declaration
// order, omitempty fields left out when empty.
func appendModelVersion(b []byte, v modelVersionJSON) []byte {
	b = append(b, `{"name":`...)
	b = appendJSONString(b, v.Name)
	b = append(b, `,"version":`...)
	b = appendJSONString(b, v.Version)
	b = append(b, `,"creation_timestamp":`...)
	b = strconv.AppendInt(b, v.CreationTimestamp, 10)
	b = append(b, `,"last_updated_timestamp":`...)
	b = strconv.AppendInt(b, v.LastUpdatedTimestamp, 10)
	if v.UserID != "" {
		b = append(b, `,"user_id":`...)
		b = appendJSONString(b, v.UserID)
	}
	b = append(b, `,"current_stage":`...)
	b = appendJSONString(b, v.CurrentStage)
	b = append(b, `,"description":`...)
	b = appendJSONString(b, v.Description)
	b = append(b, `,"source":`...)
	b = appendJSONString(b, v.Source)
	if v.RunID != "" {
		b = append(b, `,"run_id":`...)
		b = appendJSONString(b, v.RunID)
	}
	b = append(b, `,"status":`...)
	b = appendJSONString(b, v.Status)
	if len(v.Tags) > 0 {
		b = append(b, `,"tags":[`...)
		for i, kv := range v.Tags {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"key":`...)
			b = appendJSONString(b, kv.Key)
			b = append(b, `,"value":`...)
			b = appendJSONString(b, kv.Value)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if v.RunLink != "" {
		b = append(b, `,"run_link":`...)
		b = appendJSONString(b, v.RunLink)
	}
	if len(v.Aliases) > 0 {
		b = append(b, `,"aliases":[`...)
		for i, a := range v.Aliases {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, a)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendJSONString appends s quoted as encoding/json quotes strings: \" \\
// \b \f \n \r \t by name, other control characters and the HTML-sensitive
// < > & as \u00XX, each byte of invalid UTF-8 as \ufffd, and U+2028 and
// U+2029 escaped (they break JavaScript string literals).
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	plain := 0 // start of the run of bytes not yet copied
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[plain:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			plain = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[plain:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[plain:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		plain = i
	}
	b = append(b, s[plain:]...)
	return append(b, '"')
}
