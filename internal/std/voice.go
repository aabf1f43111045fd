package std

import (
	_ "github.com/parleyhq/parley/perception/asr"     // audio.asr: pocketsphinx speech recognition
	_ "github.com/parleyhq/parley/perception/prosody" // audio.prosody: pitch, loudness, rate, pauses
)
