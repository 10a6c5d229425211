-- tag_normalize: NFKC, full lower case, white space trimmed and collapsed,
-- controls and zero-width characters removed; the same in every database.

-- the examples of the manual
SELECT tag_normalize('  Machine' || U&'\00A0' || '  Learning ') AS nbsp_and_runs;
SELECT tag_normalize('ＰＹＴＨＯＮ') AS fullwidth;
SELECT tag_normalize('Cafe' || U&'\0301') = tag_normalize('Café') AS combining_equals_precomposed,
       tag_normalize('Cafe' || U&'\0301') = U&'caf\00E9' AS composed;

-- full Unicode lower case, not the collation's: in the "C" collation
-- lower() leaves É alone, tag_normalize() does not
SELECT lower('ÉCOLE' COLLATE "C") AS lower_c, tag_normalize('ÉCOLE' COLLATE "C") AS normalized_c;
SELECT tag_normalize('ΣΊΣΥΦΟΣ') AS greek, tag_normalize('İSTANBUL') = U&'i\0307stanbul' AS root_locale_i;

-- every kind of white space is one ASCII space, trimmed at both ends
SELECT tag_normalize(E'\tdeep\n\r learning\u3000 ' || U&'\2003' || 'now' || U&'\2028') AS white_space;

-- control and zero-width characters are removed, not turned into spaces
SELECT tag_normalize(U&'zero\200Bwidth\200D\FEFF' || E'\x01ctl' || U&'\00AD') AS removed;

-- compatibility characters: ligatures, circled and superscript letters
SELECT tag_normalize(U&'\FB01le \2460 x\00B2') AS compatibility;

-- names that normalize to nothing
SELECT tag_normalize(U&'\200B\200C\FEFF') = '' AS only_zero_width,
       tag_normalize(E' \t\n ') = '' AS only_space,
       tag_normalize('') = '' AS empty;

-- NULL in, NULL out (STRICT)
SELECT tag_normalize(NULL) IS NULL AS strict;

-- idempotent for every code point, alone and between two letters
SELECT count(*) AS not_idempotent
FROM generate_series(1, 1114111) AS cp,
     LATERAL (SELECT 'a' || chr(cp) || 'B' AS s) AS v
WHERE (cp < 55296 OR cp > 57343)
  AND (tag_normalize(tag_normalize(chr(cp))) IS DISTINCT FROM tag_normalize(chr(cp))
       OR tag_normalize(tag_normalize(v.s)) IS DISTINCT FROM tag_normalize(v.s));

-- and for a combining mark cut off from its letter by a removed character
SELECT tag_normalize(tag_normalize(U&'e\200B\0301')) = tag_normalize(U&'e\200B\0301') AS idempotent,
       tag_normalize(U&'e\200B\0301') AS composed_after_removal;

-- the result is always lower case and never has a space at either end
SELECT count(*) AS bad_results
FROM generate_series(1, 1114111) AS cp,
     LATERAL (SELECT tag_normalize(' X' || chr(cp) || ' ') AS n) AS v
WHERE (cp < 55296 OR cp > 57343)
  AND (v.n LIKE ' %' OR v.n LIKE '% ' OR v.n LIKE '%  %' OR v.n ~ '[A-Z]');

-- the function's declared properties
SELECT provolatile, proisstrict, proparallel FROM pg_proc WHERE proname = 'tag_normalize';
