package api

import (
	"encoding/json"
	"time"
)

// The documents of a court importing an evidence package: the verdict
// record it deposits on its own ledger, and the answers of
// POST /v1/packages/import and GET /v1/packages/imports.

// PackageVerdictType is PackageVerdict.Type.
const PackageVerdictType = "jurichain package verdict v1"

// Verdicts of an imported package and of its items.
const (
	VerdictVerified = "verified"
	VerdictFailed   = "failed"
)

// PackageVerdict is the record a court node deposits, with its log key,
// when it imports an evidence package: what it checked, under its own
// trusted policies, and what it found.
type PackageVerdict struct {
	Type string `json:"type"`
	// Network and Node are the court network's origin and the
	// institution whose node imported the package.
	Network string    `json:"network"`
	Node    string    `json:"node"`
	At      time.Time `json:"at"`
	// Actor is the judge or clerk who imported it, in ActorRole.
	Actor     string `json:"actor"`
	ActorRole string `json:"actor_role"`
	// ManifestDigest is the SHA-256 of the package's signed manifest.
	ManifestDigest string `json:"manifest_digest"`
	// PackageNetwork is the origin of the network that made the package;
	// Case the case it names.
	PackageNetwork string `json:"package_network"`
	Case           string `json:"case"`
	Items          int    `json:"items"`
	Verified       int    `json:"verified"`
	Failed         int    `json:"failed"`
	// Verdict is "verified" only when every item verified.
	Verdict string        `json:"verdict"`
	Results []ItemVerdict `json:"results"`
	// Problems are failures of the package as a whole or of a file of
	// no item (an unlisted file, items.json); any makes the verdict
	// failed.
	Problems []PackageProblem `json:"problems,omitempty"`
}

// PackageProblem is a failure of an imported package outside its items.
type PackageProblem struct {
	Path   string `json:"path,omitempty"`
	Check  string `json:"check"`
	Reason string `json:"reason"`
}

// ItemVerdict is one item of an imported package.
type ItemVerdict struct {
	// Path is the item's folder in the package (items/<n>).
	Path    string `json:"path"`
	Deposit string `json:"deposit"`
	Verdict string `json:"verdict"`
	// Check names the check that failed; Reason says why.
	Check  string `json:"check,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// PackageImport is one import of an evidence package at a court node:
// POST /v1/packages/import answers it once its verdict record committed.
type PackageImport struct {
	Import  string        `json:"import"`
	Case    string        `json:"case"`
	At      time.Time     `json:"at"`
	Verdict string        `json:"verdict"`
	Items   []ItemVerdict `json:"items"`
	// Record is the verdict record exactly as deposited.
	Record json.RawMessage `json:"record"`
	// Deposit is the court ledger's entry of the verdict record, with
	// its number and receipt once committed.
	Deposit Result `json:"deposit"`
	Receipt string `json:"receipt,omitempty"`
}

// PackageImports answers GET /v1/packages/imports: newest first.
type PackageImports struct {
	Imports []PackageImport `json:"imports"`
}
