package evidencepack

import (
	"bytes"
	"hash"
	"html/template"
	"time"

	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/suite"
)

// ItemList is items.json: the package's items for machines. Verify
// checks it against what the receipts prove.
type ItemList struct {
	Version     int             `json:"version"`
	Network     string          `json:"network"`
	Institution string          `json:"institution"`
	Court       string          `json:"court"`
	Case        string          `json:"case"`
	Created     time.Time       `json:"created"`
	Policies    []PolicySummary `json:"policies"`
	Items       []ItemInfo      `json:"items"`
}

// PolicySummary names one policy file of the package.
type PolicySummary struct {
	Origin  string `json:"origin"`
	Current bool   `json:"current"`
	Height  uint64 `json:"height,omitempty"`
	Path    string `json:"path"`
}

// ItemInfo describes one item of items.json.
type ItemInfo struct {
	// Path is the item's directory, items/<n>.
	Path    string `json:"path"`
	Deposit string `json:"deposit"`
	Number  uint64 `json:"number"`
	// Digests are the deposit's content digests, by algorithm, in hex.
	Digests   map[string]string `json:"digests"`
	Size      uint64            `json:"size"`
	Certified time.Time         `json:"certified_time"`
	Height    uint64            `json:"height"`
	// Title and MediaType come from the opening, when the package has it.
	Title     string `json:"title,omitempty"`
	MediaType string `json:"media_type,omitempty"`
	// Anchored says whether the item has a composed receipt.
	Anchored bool `json:"anchored"`
	// Original is the original's path, when the package has it.
	Original string   `json:"original,omitempty"`
	Files    []string `json:"files"`
}

func newContentHash(a deposit.Algorithm) (hash.Hash, error) { return suite.NewContentHash(a.String()) }

// The page uses no script and no outside resource: it opens from the
// unpacked ZIP on a machine without network, and html/template escapes
// every value taken from the package.
var indexPage = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>证据包 Evidence package — {{.Case}}</title>
<style>
body{font-family:system-ui,"Noto Sans CJK SC","PingFang SC",sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;padding:.3em .5em;vertical-align:top;text-align:left}
th{background:#eee}code{font-size:.85em;word-break:break-all}.en{color:#555}
</style>
</head>
<body>
<h1>证据包 <span class="en" lang="en">Evidence package</span></h1>
<table>
<tr><th>案件 <span class="en" lang="en">Case</span></th><td>{{.Case}}</td></tr>
<tr><th>法院 <span class="en" lang="en">Court</span></th><td>{{.Court}}</td></tr>
<tr><th>打包机构 <span class="en" lang="en">Packaged by</span></th><td>{{.Institution}}</td></tr>
<tr><th>网络 <span class="en" lang="en">Network</span></th><td><code>{{.Network}}</code></td></tr>
<tr><th>生成时间 <span class="en" lang="en">Created</span></th><td>{{.Created.Format "2006-01-02T15:04:05Z07:00"}}</td></tr>
</table>
<h2>如何核验 <span class="en" lang="en">How to verify</span></h2>
<p>本页仅供阅读，不作为证明。请使用 <code>jurichain verify --policy 信任策略 本文件.zip</code> 离线核验整个证据包：清单签名、每个文件、每张回执、原件、元数据、证书与访问记录。</p>
<p lang="en">This page is for reading and proves nothing by itself. Verify the whole package offline with <code>jurichain verify --policy POLICY PACKAGE.zip</code>: the manifest's signature, every file, every receipt, original, metadata opening, certificate and access-trail record.</p>
<h2>证据清单 <span class="en" lang="en">Items</span> ({{len .Items}})</h2>
<table>
<tr><th>#</th><th>存证编号 <span class="en" lang="en">Deposit</span></th><th>摘要 <span class="en" lang="en">Digests</span></th><th>认证时间 <span class="en" lang="en">Certified time</span></th><th>锚定 <span class="en" lang="en">Anchored</span></th><th>文件 <span class="en" lang="en">Files</span></th></tr>
{{range .Items}}<tr>
<td>{{.Path}}</td>
<td><code>{{.Deposit}}</code><br>#{{.Number}}{{if .Title}}<br>{{.Title}}{{end}}</td>
<td>{{range $alg, $v := .Digests}}{{$alg}} <code>{{$v}}</code><br>{{end}}{{.Size}} 字节 <span class="en" lang="en">bytes</span></td>
<td>{{.Certified.Format "2006-01-02T15:04:05.000Z07:00"}}</td>
<td>{{if .Anchored}}是，见 anchored.tlog-proof <span class="en" lang="en">yes, see anchored.tlog-proof</span>{{else}}—{{end}}</td>
<td>{{range .Files}}<code>{{.}}</code><br>{{end}}</td>
</tr>
{{end}}</table>
<h2>信任策略 <span class="en" lang="en">Trust policies</span></h2>
<ul>
{{range .Policies}}<li><code>{{.Path}}</code>: <code>{{.Origin}}</code> {{if .Current}}现行 <span class="en" lang="en">in force now</span>{{else}}自区块 {{.Height}} 起 <span class="en" lang="en">from block {{.Height}}</span>{{end}}</li>
{{end}}</ul>
</body>
</html>
`))

func renderIndex(l *ItemList) ([]byte, error) {
	var b bytes.Buffer
	if err := indexPage.Execute(&b, l); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
