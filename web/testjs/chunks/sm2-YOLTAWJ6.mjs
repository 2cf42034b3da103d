import{a,b,c}from"./chunk-2COFDT4K.mjs";import"./chunk-6FRNOEDG.mjs";import"./chunk-BBVLB5NO.mjs";import"./chunk-ALXGDVON.mjs";export{a as checkPublicKey,b as parseSignature,c as verify};
