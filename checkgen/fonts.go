package checkgen

import (
	"os"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
)

// Font roles on a check.
type fontRole int

const (
	rolePrinted fontRole = iota // bank name, labels, payer
	roleBold                    // payer name, bank name
	roleHand                    // handwritten fields (payee, amount, date, memo)
	roleTyped                   // fields printed by business check software
)

// fontFiles lists the faces tried for each role, from Debian packages: fonts-dejavu-core,
// fonts-liberation, fonts-urw-base35 (Z003 is a chancery script), fonts-freefont-ttf. Missing files are
// skipped; Go's own fonts are the last resort so the generator works on any machine.
var fontFiles = map[fontRole][]string{
	rolePrinted: {
		"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
		"/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
		"/usr/share/fonts/opentype/urw-base35/NimbusSans-Regular.otf",
		"/usr/share/fonts/truetype/freefont/FreeSerif.ttf",
	},
	roleBold: {
		"/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
		"/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
		"/usr/share/fonts/opentype/urw-base35/NimbusRoman-Bold.otf",
		"/usr/share/fonts/truetype/freefont/FreeSansBold.ttf",
	},
	roleHand: {
		"/usr/share/fonts/opentype/urw-base35/Z003-MediumItalic.otf",
		"/usr/share/fonts/truetype/dejavu/DejaVuSerif-Italic.ttf",
		"/usr/share/fonts/opentype/urw-base35/URWBookman-LightItalic.otf",
		"/usr/share/fonts/truetype/liberation/LiberationSerif-Italic.ttf",
		"/usr/share/fonts/opentype/urw-base35/C059-Italic.otf",
		"/usr/share/fonts/truetype/freefont/FreeSerifItalic.ttf",
	},
	roleTyped: {
		"/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
		"/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
		"/usr/share/fonts/opentype/urw-base35/NimbusMonoPS-Regular.otf",
		"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
	},
}

var fallback = map[fontRole][]byte{
	rolePrinted: goregular.TTF,
	roleBold:    gobold.TTF,
	roleHand:    goitalic.TTF,
	roleTyped:   gomono.TTF,
}

type namedFont struct {
	name string
	f    *opentype.Font
}

var (
	fontsOnce sync.Once
	fonts     map[fontRole][]namedFont
)

func loadFonts() map[fontRole][]namedFont {
	fontsOnce.Do(func() {
		fonts = map[fontRole][]namedFont{}
		for role, paths := range fontFiles {
			for _, p := range paths {
				b, err := os.ReadFile(p)
				if err != nil {
					continue
				}
				f, err := opentype.Parse(b)
				if err != nil {
					continue
				}
				fonts[role] = append(fonts[role], namedFont{p, f})
			}
			if len(fonts[role]) == 0 {
				f, err := opentype.Parse(fallback[role])
				if err == nil {
					fonts[role] = append(fonts[role], namedFont{"go", f})
				}
			}
		}
	})
	return fonts
}

// FontFiles returns the font files found on this machine, for reports.
func FontFiles() []string {
	var out []string
	for _, role := range []fontRole{rolePrinted, roleBold, roleHand, roleTyped} {
		for _, f := range loadFonts()[role] {
			out = append(out, f.name)
		}
	}
	return out
}

// face returns a face of the role at a pixel size; pick chooses among the installed faces.
func face(role fontRole, pick int, px float64) (font.Face, string) {
	fs := loadFonts()[role]
	nf := fs[pick%len(fs)]
	fc, err := opentype.NewFace(nf.f, &opentype.FaceOptions{Size: px, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		f, _ := opentype.Parse(fallback[role])
		fc, _ = opentype.NewFace(f, &opentype.FaceOptions{Size: px, DPI: 72})
		return fc, "go"
	}
	return fc, nf.name
}
