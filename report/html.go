package report

import (
	"bytes"
	"html/template"
)

var funcs = template.FuncMap{"pct": pct, "frame": frameTime}

var reportHTML = template.Must(template.New("report").Funcs(funcs).Parse(`<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Diagnostic report {{.Code}}</title>
<style>body{font-family:sans-serif;max-width:46em;margin:2em auto;color:#223}th{text-align:left;padding-right:1em}
.bar{background:#e3e8ef;width:12em;display:inline-block}.bar span{background:#3a6ea5;display:block;height:.8em}
img.crop{max-width:14em;border:1px solid #99a;vertical-align:middle}</style>
<h1>Diagnostic report</h1>
<p>{{.Business}} · {{.Created.Format "2006-01-02 15:04 MST"}}</p>
<table>
<tr><th>Product</th><td>{{.Product}}{{if .Model}} ({{.Model}}){{end}}</td></tr>
<tr><th>Error code</th><td>{{.Code}}</td></tr>
<tr><th>Fault</th><td>{{.Fault}}</td></tr>
<tr><th>Severity</th><td>{{.Severity}}</td></tr>
</table>
<h2>Likely causes</h2>
<ol>{{range .Causes}}<li><p><b>{{.Text}}</b> <span class="bar"><span style="width:{{pct .Likelihood}}"></span></span> {{pct .Likelihood}}</p>
{{if .Why}}<ul>{{range .Why}}<li>{{.}}</li>{{end}}</ul>{{end}}{{if .Parts}}<p>Parts: {{range $i, $p := .Parts}}{{if $i}}, {{end}}{{$p}}{{end}}</p>{{end}}</li>{{end}}</ol>
<h2>Evidence</h2>
<ul>{{range .Evidence}}<li>{{.What}} — {{.Modality}}, {{.Stage}}, confidence {{pct .Score}}{{with frame .At}} at {{.}}{{end}}{{if .CropURL}}<br><img class="crop" src="{{.CropURL}}" alt="{{.What}}">{{end}}</li>{{end}}</ul>
{{if .Checks}}<h2>Checks done</h2><ul>{{range .Checks}}<li>{{.Question}} — {{.Answer}}</li>{{end}}</ul>{{end}}
</html>
`))

var guideHTML = template.Must(template.New("guide").Funcs(funcs).Parse(`<!doctype html>
<html lang="en"><meta charset="utf-8"><title>{{.Title}}</title>
<style>body{font-family:sans-serif;max-width:46em;margin:2em auto;color:#223}.safety{background:#fff3d6;border-left:4px solid #e8a317;padding:.5em 1em}
li img{display:block;max-width:24em;margin:.5em 0}</style>
<h1>{{.Title}}</h1>
<p>{{.Product}}{{if .Code}}, code {{.Code}}{{end}} · about {{.Minutes}} minutes{{if .Tools}} · tools: {{range $i, $t := .Tools}}{{if $i}}, {{end}}{{$t}}{{end}}{{end}}</p>
{{if .Safety}}<div class="safety"><b>Safety</b><ul>{{range .Safety}}<li>{{.}}</li>{{end}}</ul></div>{{end}}
<ol>{{range $i, $s := .Steps}}<li><p>{{$s.Text}}</p>{{if $s.ImageURL}}<img src="{{$s.ImageURL}}" alt="step {{$i}}">{{end}}</li>{{end}}</ol>
</html>
`))

// ReportHTML renders a diagnostic report as an HTML page.
func ReportHTML(d Diagnosis) ([]byte, error) {
	if len(d.Causes) == 0 {
		return nil, ErrEmpty
	}
	var b bytes.Buffer
	err := reportHTML.Execute(&b, d)
	return b.Bytes(), err
}

// GuideHTML renders a repair guide as an HTML page.
func GuideHTML(g Guide) ([]byte, error) {
	if len(g.Steps) == 0 {
		return nil, ErrEmpty
	}
	var b bytes.Buffer
	err := guideHTML.Execute(&b, g)
	return b.Bytes(), err
}
