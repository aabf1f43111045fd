package std

import (
	_ "github.com/parleyhq/parley/perception/asr" // audio.asr: pocketsphinx speech recognition
)
