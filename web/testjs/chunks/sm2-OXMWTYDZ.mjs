import{a,b,c}from"./chunk-3Z7CLE2P.mjs";import"./chunk-BBVLB5NO.mjs";import"./chunk-6FRNOEDG.mjs";import"./chunk-ALXGDVON.mjs";export{a as checkPublicKey,b as parseSignature,c as verify};
