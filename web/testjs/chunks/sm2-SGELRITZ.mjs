import{a,b,c}from"./chunk-C5IGLVWU.mjs";import"./chunk-YSVYTZOS.mjs";import"./chunk-BBVLB5NO.mjs";import"./chunk-ALXGDVON.mjs";export{a as checkPublicKey,b as parseSignature,c as verify};
