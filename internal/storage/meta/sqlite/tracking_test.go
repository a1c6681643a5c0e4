package sqlite

import (
	"testing"

	"github.com/modelry/modelry/internal/storage/meta/metatest"
	"github.com/modelry/modelry/internal/tracking"
)

func TestTrackingConformance(t *testing.T) {
	metatest.RunTracking(t, func(t *testing.T) tracking.Store { return openTemp(t).Tracking() })
}
