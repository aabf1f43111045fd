package micr

import (
	"fmt"
	"image"
)

// Read reads a cropped MICR line image: one line of E-13B characters, any scale, dark on light.
func Read(img image.Image) (Line, error) {
	return Line{}, fmt.Errorf("%w: reader not implemented yet", ErrNoLine)
}

// FindAndRead locates the MICR line in the clear band along the bottom of a whole check image and
// reads it. Box and character boxes are in the coordinates of check.
func FindAndRead(check image.Image) (Line, error) {
	return Read(check)
}
