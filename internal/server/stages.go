package server

// The fault-video readers: every server runs them where a pack routes photos and video frames to
// them (the appliances and telecom packs do).
import (
	_ "github.com/parleyhq/parley/perception/display" // image.display: seven-segment error codes
	_ "github.com/parleyhq/parley/perception/label"   // image.label: model numbers on rating plates
	_ "github.com/parleyhq/parley/perception/lights"  // image.lights: indicator lights and blink patterns
	_ "github.com/parleyhq/parley/perception/sound"   // audio.sound: beeping, hum, grinding, silence
)
