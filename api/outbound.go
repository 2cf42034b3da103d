package api

// CodeNotAnchored answers a receipt upgrade that no stored anchor covers
// yet (409): the message says when the next anchor is due.
const CodeNotAnchored = "not_anchored"

// MediaAnchoredProof is the media type of a composed receipt: a platform
// receipt followed by the anchor of a later checkpoint in a court.
const MediaAnchoredProof = "application/vnd.jurichain.anchored-proof"
