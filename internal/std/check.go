package std

import (
	_ "github.com/parleyhq/parley/perception/check" // image.check: check reading and verification
)
