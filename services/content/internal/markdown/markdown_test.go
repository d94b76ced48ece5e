package markdown

import (
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	r := New()
	tests := []struct {
		name, src string
		wantHTML  []string
		notHTML   []string
		wantText  string
	}{
		{name: "paragraphs and emphasis", src: "Hello **world**.\n\nSecond *para*.",
			wantHTML: []string{"<p>Hello <strong>world</strong>.</p>", "<em>para</em>"}, wantText: "Hello world. Second para."},
		{name: "code keeps its language class", src: "```go\nfmt.Println(1 < 2)\n```",
			wantHTML: []string{`<code class="language-go">`, "1 &lt; 2"}, wantText: "fmt.Println(1 < 2)"},
		{name: "raw script dropped", src: "Hi <script>alert(1)</script> there",
			notHTML: []string{"<script", "alert(1)</script>"}},
		{name: "javascript link neutralised", src: "[x](javascript:alert(1))",
			notHTML: []string{"javascript:"}, wantText: "x"},
		{name: "event handler dropped", src: `<img src="a.png" onerror="alert(1)">`,
			notHTML: []string{"onerror"}},
		{name: "GFM table", src: "| a | b |\n|---|---|\n| 1 | 2 |", wantHTML: []string{"<table>", "<td>1</td>"}, wantText: "a b 1 2"},
		{name: "links get nofollow", src: "[go](https://go.dev)", wantHTML: []string{`href="https://go.dev"`, `rel="nofollow"`}, wantText: "go"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, text, err := r.Render(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.wantHTML {
				if !strings.Contains(h, w) {
					t.Errorf("HTML %q lacks %q", h, w)
				}
			}
			for _, n := range tt.notHTML {
				if strings.Contains(h, n) {
					t.Errorf("HTML %q contains %q", h, n)
				}
			}
			if tt.wantText != "" && text != tt.wantText {
				t.Errorf("text %q, want %q", text, tt.wantText)
			}
		})
	}
}
