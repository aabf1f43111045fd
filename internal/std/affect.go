package std

// Affect: expression from faces in images and video frames, frustration and confusion cues in words.
import (
	_ "github.com/parleyhq/parley/perception/face"
	_ "github.com/parleyhq/parley/perception/textcue"
)
