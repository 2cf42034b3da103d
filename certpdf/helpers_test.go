package certpdf_test

import (
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jurichain/jurichain/certpdf"
	"github.com/jurichain/jurichain/suite"
)

// tool finds an outside program. Under CI its absence fails the test;
// elsewhere the test is skipped.
func tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is needed for this test (apt install poppler-utils qpdf mupdf-tools libnss3-tools openssl)", name)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

// run runs a tool and returns its combined output.
func run(t testing.TB, name string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(tool(t, name), args...).CombinedOutput()
	return string(out), err
}

// Names with a CJK Extension A character the fonts have (䶮) and an
// Extension B one they lack (𠀀).
const (
	nameExtA = "刘䶮"
	nameExtB = "𠀀明华"
	// nameLatin has accented letters, which DejaVu Sans draws as
	// composite glyphs.
	nameLatin = "José Müller-Łukasz Ångström"
)

// sampleDocument is a realistic certificate: both languages, the
// suite's digests, a Chinese address and a long file name.
func sampleDocument(cs *suite.Suite) *certpdf.Document {
	content := cs.Hash([]byte("evidence contract.pdf"))
	leaf := cs.Hash([]byte("leaf"))
	root := cs.Hash([]byte("root"))
	digestName := strings.ToUpper(cs.Name()) + " digest"
	if cs.Name() == suite.NameGM {
		digestName = "SM3 digest"
	} else {
		digestName = "SHA-256 digest"
	}
	return &certpdf.Document{
		TitleZH: "电子数据存证证书",
		TitleEN: "Certificate of Electronic Evidence Deposit",
		Number:  "JC-2026-0001-" + strings.ToUpper(cs.Name()) + "-000042",
		Sections: []certpdf.Section{
			{
				HeadingZH: "存证信息", HeadingEN: "Deposit",
				Rows: []certpdf.Row{
					{LabelZH: "存证人", LabelEN: "Depositor", Value: nameExtA + "（身份证号 110108199001011234）"},
					{LabelZH: "共同存证人", LabelEN: "Co-depositor", Value: nameExtB},
					{LabelZH: "代理人", LabelEN: "Agent", Value: nameLatin},
					{LabelZH: "地址", LabelEN: "Address", Value: "北京市海淀区中关村南大街5号院理工科技大厦12层1203室"},
					{LabelZH: "文件名", LabelEN: "File name", Value: "2026年第一季度采购合同（甲方：北京某某科技有限公司，乙方：上海某某贸易有限公司）最终签署版本_扫描件_v3.final.pdf"},
					{LabelZH: "文件大小", LabelEN: "Size", Value: "1,234,567 字节 bytes"},
					{LabelZH: "内容摘要", LabelEN: digestName, Value: hex.EncodeToString(content[:]), Mono: true},
				},
			},
			{
				HeadingZH: "区块链存证证明", HeadingEN: "Ledger proof",
				Rows: []certpdf.Row{
					{LabelZH: "存证时间", LabelEN: "Committed at", Value: "2026-03-14 09:26:53 +08:00（北京时间 Beijing time）"},
					{LabelZH: "区块高度", LabelEN: "Block height", Value: "1,048,576"},
					{LabelZH: "日志叶子", LabelEN: "Log leaf hash", Value: hex.EncodeToString(leaf[:]), Mono: true},
					{LabelZH: "日志根", LabelEN: "Log root (tree size 2,097,152)", Value: hex.EncodeToString(root[:]), Mono: true},
					{LabelZH: "密码套件", LabelEN: "Crypto suite", Value: cs.String()},
				},
			},
		},
		QR:          "https://verify.jurichain.example/c/JC-2026-0001-000042?h=" + hex.EncodeToString(content[:8]),
		QRCaptionZH: "扫描二维码，在线核验本证书",
		QRCaptionEN: "Scan to verify this certificate online",
		Seal:        certpdf.SealMark{Name: "北京市海淀区人民法院", Kind: "电子数据存证专用章"},
		NotesZH: []string{
			"核验方法：用 pdfsig 等工具检查本文件的电子签名；用附件中的存证收据和 jurichain verify 核对摘要与区块链证明。",
			"本证书的内容以附件中经签名的数据为准。",
		},
		NotesEN: []string{
			"To verify: check this file's signature with pdfsig or Adobe Reader; check the digests and the ledger proof with the attached receipt and `jurichain verify`.",
			"The signed attachments are authoritative.",
		},
		Created: time.Date(2026, 3, 14, 9, 27, 0, 0, time.FixedZone("CST", 8*3600)),
	}
}
