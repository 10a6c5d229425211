-- tag_slugify: the base slug of a name, ASCII words joined by hyphens

-- the examples of the manual
SELECT name, tag_slugify(name) AS slug
FROM unnest(ARRAY['Machine Learning', 'Café Crème', 'Москва', '日本語', 'Straße',
                  'C++', 'C#', 'F#', 'AT&T', 'me@home', 'C', 'ＰＹＴＨＯＮ 3',
                  'don''t panic', 'rock ’n’ roll', '  --Hello,   World!--  ',
                  'Ελληνικά', 'العربية', 'עברית', 'カタカナ', '한국어', 'Việt Nam',
                  'Œuvre', 'Ærø', 'Łódź', 'naïve', 'web 2.0']) AS name;

-- symbols keep apart tags that would otherwise share a slug
SELECT count(DISTINCT tag_slugify(n)) AS distinct_slugs
FROM unnest(ARRAY['c', 'c++', 'c#', 'c+', 'c&', 'c@']) AS n;

-- scripts ICU has no transliterator to Latin for: each run of their letters
-- and digits is one word, its Punycode (the IDNA label without "xn--");
-- Cherokee in either case is one name; Tibetan (and Dzongkha, which is
-- written in it) separates syllables with a tsheg, so each is a word
SELECT name, tag_slugify(name) AS slug
FROM unnest(ARRAY['ខ្ទម', 'ភាសាខ្មែរ', 'ລາວ', 'ພາສາລາວ', 'සිංහල', 'ᏣᎳᎩ', 'ꮳꮃꭹ',
                  'བོད་ཡིག', 'རྫོང་ཁ', 'ᱥᱟᱱᱛᱟᱲᱤ', '១២៣']) AS name;

-- mixed names: the Punycode word stands among the other words; a symbol next
-- to it is dropped, as next to a Latin word; a combining mark after a Latin
-- letter starts no word
SELECT name, tag_slugify(name) AS slug
FROM unnest(ARRAY['ខ្ទម python', 'Python ខ្ទម 3', 'ខ្ទមpython', '🐍 ខ្ទម', '🐍 python',
                  'ប្រភេទទី 1–2', 'C++ ລາວ', 'ខ្ទម  ខ្ទម', 'a' || U&'\17C6']) AS name;

-- scripts ICU transliterates keep their slugs, Myanmar included, and so do
-- the letters it leaves in them (Kazakh 'ү', Urdu 'ٹ'): they are dropped
SELECT name, tag_slugify(name) AS slug
FROM unnest(ARRAY['မြန်မာ', 'ပန်းသီး', 'күлу', 'ڈپارٹمنٹ']) AS name;

-- a slug with a Punycode word that is too long keeps 81 characters and ends
-- with the CRC-32C of the whole: names that differ at the end keep apart
SELECT tag_slugify(repeat('ខ្ទម ', 9) || 'សម្បុរស') AS slug,
       length(tag_slugify(repeat('ខ្ទម ', 9) || 'សម្បុរស')) AS length
UNION ALL
SELECT tag_slugify(repeat('ខ្ទម ', 9) || 'សម្បុរខ្មៅ'),
       length(tag_slugify(repeat('ខ្ទម ', 9) || 'សម្បុរខ្មៅ'))
UNION ALL
SELECT tag_slugify(repeat('ខ្ទម ', 9)), length(tag_slugify(repeat('ខ្ទម ', 9)));

-- the slugs of these names are valid and slugify to themselves
SELECT count(*) AS bad_slugs
FROM unnest(ARRAY['ខ្ទម', 'ᏣᎳᎩ', 'བོད་ཡིག', 'ខ្ទម python', '🐍 ខ្ទម',
                  repeat('ខ្ទម ', 9) || 'សម្បុរស', repeat('ລາວ', 33)]) AS name,
     LATERAL tag_slugify(name) AS slug
WHERE slug !~ '^[a-z0-9]+(-[a-z0-9]+)*$' OR length(slug) > 90
   OR tag_slugify(slug) <> slug;

-- a name that leaves no letters or digits is spelled with its characters'
-- Unicode names, or their code points; the empty name gives "tag", and so
-- does a zero-width space (not shown: psql's width for it differs between
-- versions)
SELECT name, tag_slugify(name) AS slug
FROM unnest(ARRAY['🐍', '🚀 🚀', '!!!', '★', '¯\_(ツ)_/¯', U&'\E000', '']) AS name;
SELECT tag_slugify(U&'\200B') AS zero_width_space;

-- at most 90 characters, cut at a word boundary where there is one
SELECT length(tag_slugify(repeat('abcdefghi ', 12))) AS cut_at_word,
       tag_slugify(repeat('abcdefghi ', 12)) ~ '-abcdefghi$' AS whole_last_word,
       length(tag_slugify(repeat('x', 120))) AS one_long_word,
       length(tag_slugify(repeat('x', 89) || ' yy')) AS hyphen_not_last;

-- idempotent on valid slugs
SELECT s, tag_slugify(s) = s AS idempotent
FROM unnest(ARRAY['python', 'machine-learning', 'c-plus-plus', 'web-2-0', 'a', '2024']) AS s;

-- for every code point, alone and inside a name: valid, at most 90
-- characters, and idempotent
SELECT count(*) AS bad_slugs
FROM generate_series(1, 1114111, 7) AS cp,
     LATERAL (SELECT tag_slugify(chr(cp)) AS alone,
                     tag_slugify('Tag ' || chr(cp) || ' name') AS inside) AS v
WHERE (cp < 55296 OR cp > 57343)
  AND (v.alone !~ '^[a-z0-9]+(-[a-z0-9]+)*$'
       OR v.inside !~ '^[a-z0-9]+(-[a-z0-9]+)*$'
       OR length(v.alone) > 90
       OR tag_slugify(v.alone) <> v.alone
       OR tag_slugify(v.inside) <> v.inside);

-- the same name in any spelling has the same slug
SELECT tag_slugify('ＣＡＦＥ' || U&'\0301') = tag_slugify(' café ') AS same_slug;

-- NULL in, NULL out (STRICT)
SELECT tag_slugify(NULL) IS NULL AS strict;

SELECT provolatile, proisstrict, proparallel FROM pg_proc WHERE proname = 'tag_slugify';
