package h2upgrade

import (
	"testing"

	"github.com/fastws/fastws/internal/xconnect"
)

func TestMain(m *testing.M) { xconnect.Main(m) }
