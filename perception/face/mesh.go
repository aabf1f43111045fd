package face

import (
	"fmt"
	"image"
	"math"

	"github.com/parleyhq/parley/nn"
)

// MeshPoints is the number of facemesh landmarks.
const MeshPoints = 468

// meshSize is facemesh's input side.
const meshSize = 192

// Landmarks are the facemesh points of one face, in image pixels: MediaPipe's 468-point
// topology (see the index constants in cues.go). Z is depth in the same scale, larger further
// from the camera, relative to the face's centre.
type Landmarks struct {
	Points [MeshPoints]Point
	Z      [MeshPoints]float64
	// Score is facemesh's confidence that the crop holds a face.
	Score float64
}

// minMeshScore is the face confidence under which landmarks are dropped (the crop missed the face).
const minMeshScore = 0.5

// mesher runs facemesh on a square crop, as human does: tf.image.cropAndResize of the box to
// 192x192, RGB in 0..1, and the 468 points mapped back by the box's scale and centre.
type mesher struct {
	model      *nn.Model
	mesh, flag int // output indices
}

func newMesher(m *nn.Model) (*mesher, error) {
	s := m.InputShape()
	if len(s) != 4 || s[1] != meshSize || s[2] != meshSize || s[3] != 3 {
		return nil, fmt.Errorf("face: %s input %v, want [1 192 192 3]", m.Name(), s)
	}
	me := &mesher{model: m, mesh: -1, flag: -1}
	for i := range m.OutputNames() {
		switch sh := m.OutputShape(i); sh[len(sh)-1] {
		case 3 * MeshPoints:
			me.mesh = i
		case 1:
			me.flag = i
		}
	}
	if me.mesh < 0 || me.flag < 0 {
		return nil, fmt.Errorf("face: %s is not a facemesh model (no 1404-value mesh and face flag outputs)", m.Name())
	}
	return me, nil
}

// maxUnturned is the roll (radians) up to which the mesh crop is not turned: human's 0.2.
const maxUnturned = 0.2

// run finds the landmarks of the face in box (a square, in pixels) of img, first with the crop
// turned by roll (the eye keypoints' or the previous frame's angle; not turned when small, as
// human does), then, while the landmarks' own eye line differs from the crop's angle by more than
// meshAgree, again with the crop turned to follow it: facemesh is trained on upright faces. nil when
// facemesh does not see a face there.
func (me *mesher) run(img *image.RGBA, box Box, roll float64) *Landmarks {
	angle := roll
	if math.Abs(angle) <= maxUnturned {
		angle = 0
	}
	l := me.once(img, box, angle)
	// facemesh reads about two thirds of a roll away from its crop's, so the crop follows the
	// landmarks' eye line, one and a half times the residual, until they agree within meshAgree (a
	// tracked face needs one pass, a sudden turn two or three)
	for pass := 1; l != nil && pass < maxMeshPasses; pass++ {
		r := l.Roll()
		if (angle == 0 && math.Abs(r) <= maxUnturned) || math.Abs(r-angle) <= meshAgree {
			break // a small roll leaves the crop level, as human does
		}
		angle = r + 0.5*(r-angle)
		again := me.once(img, box, angle)
		if again == nil {
			break
		}
		l = again
	}
	return l
}

// maxMeshPasses bounds the facemesh runs on one face; meshAgree (radians, 3 degrees) is when the
// landmarks' eye line and the crop's angle agree.
const (
	maxMeshPasses = 3
	meshAgree     = 0.05
)

// once runs facemesh on box turned by angle and maps the points back into img.
func (me *mesher) once(img *image.RGBA, box Box, angle float64) *Landmarks {
	cropAndResizeTurned(me.model.Input(), meshSize, img, box, angle, 1.0/255)
	me.model.Run()
	l := &Landmarks{Score: float64(me.model.Output(me.flag)[0])}
	if l.Score < minMeshScore {
		return nil
	}
	raw := me.model.Output(me.mesh)
	sx, sy := box.W()/meshSize, box.H()/meshSize
	cx, cy := (box.X0+box.X1)/2, (box.Y0+box.Y1)/2
	cos, sin := math.Cos(angle), math.Sin(angle)
	for i := range l.Points {
		lx, ly := sx*(float64(raw[3*i])-meshSize/2), sy*(float64(raw[3*i+1])-meshSize/2)
		l.Points[i] = Point{cx + lx*cos - ly*sin, cy + lx*sin + ly*cos}
		l.Z[i] = float64(raw[3*i+2]) * sx
	}
	return l
}
