/*-------------------------------------------------------------------------
 *
 * normalize.c
 *	  Tag name normalization and URL slugs, with ICU.
 *
 * A tag's identity is its normalized name: NFKC, full lower case in ICU's
 * root locale (never the database collation), White_Space as ASCII spaces,
 * controls and default-ignorables removed, NFKC again, spaces trimmed and
 * collapsed.  The result is idempotent (normalize.sql checks it for every
 * code point).  A slug is made from the normalized name: meaningful symbols
 * spelled as words, ICU's "Any-Latin; Latin-ASCII", Punycode for the
 * scripts ICU has no transliterator for, Unicode character names for a
 * name that leaves nothing; base slugs are cut at TAGS_SLUG_BASE_MAX_CHARS
 * so that a "-N" suffix always fits.
 *
 * Text arrives in the database encoding and is converted to UTF-16 for ICU
 * and back.  The transliterator and the IDNA converter are opened once per
 * backend and kept; ICU allocates them with malloc, outside any memory
 * context.  It calls no other file.  See doc/normalization.md.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <unicode/uchar.h>
#include <unicode/uidna.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "port/pg_crc32c.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(tag_normalize);
PG_FUNCTION_INFO_V1(tag_slugify);

/* A string of UTF-16 code units, not terminated */
typedef struct UStr
{
	UChar	   *data;
	int32_t		len;
} UStr;

static UStr ustr_from_server(const char *s, int len);
static char *ustr_to_server(UStr u);
static UStr icu_nfkc(UStr src);
static UStr icu_lower(UStr src);
static UStr normalize_ustr(UStr src);
static UStr spell_symbols(UStr src);
static UStr transliterate(UStr src);
static void slug_break(StringInfo slug);
static void slug_append_words(StringInfo slug, const char *s, int len);
static void slug_append_char_names(StringInfo slug, const UChar *s,
								   int32_t len);
static bool slug_append_punycode(StringInfo slug, const UChar *run,
								 int32_t len);
static bool script_has_latin_transliterator(UScriptCode script);
static bool starts_foreign_run(UChar32 c);
static bool continues_foreign_run(UChar32 c);
static char *ascii_slug(UStr src, bool *encoded);
static char *slug_from_char_names(UStr src);
static char *cut_slug(char *slug, bool checksum);
static char *slugify_ustr(UStr name);

/* "Any-Latin; Latin-ASCII", opened on first use */
static UTransliterator *slug_transliterator = NULL;

/* UTS #46 IDNA, for the Punycode of untransliterated runs; opened on use */
static UIDNA *slug_idna = NULL;

/*
 * Per script code, whether ICU has a transliterator from it to Latin: 0 not
 * known yet, 1 yes, 2 no.  Allocated on first use, in TopMemoryContext.
 */
static char *script_to_latin = NULL;
static int	script_to_latin_len = 0;

/* Fail if an ICU call failed: with valid input that cannot happen */
static inline void
check_icu(UErrorCode status, const char *call)
{
	if (U_FAILURE(status))
		elog(ERROR, "%s failed: %s", call, u_errorName(status));
}

/*
 * Convert len bytes of database-encoded text to UTF-16.
 */
static UStr
ustr_from_server(const char *s, int len)
{
	char	   *utf8 = pg_server_to_any(s, len, PG_UTF8);
	int32_t		utf8len = (utf8 == s) ? len : (int32_t) strlen(utf8);
	UErrorCode	status = U_ZERO_ERROR;
	UStr		u;

	u.data = palloc((utf8len + 1) * sizeof(UChar));
	u_strFromUTF8(u.data, utf8len + 1, &u.len, utf8, utf8len, &status);
	if (status == U_INVALID_CHAR_FOUND)
		ereport(ERROR,
				errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				errmsg("tag name is not valid UTF-8"));
	check_icu(status, "u_strFromUTF8");
	return u;
}

/*
 * Convert UTF-16 to a NUL-terminated string in the database encoding.
 */
static char *
ustr_to_server(UStr u)
{
	UErrorCode	status = U_ZERO_ERROR;
	int32_t		utf8len;
	char	   *utf8;

	/* UTF-8 takes at most 3 bytes per UTF-16 code unit */
	utf8 = palloc(u.len * 3 + 1);
	u_strToUTF8(utf8, u.len * 3 + 1, &utf8len, u.data, u.len, &status);
	check_icu(status, "u_strToUTF8");
	return pg_any_to_server(utf8, utf8len, PG_UTF8);
}

/*
 * NFKC.  Compatibility decomposition can grow a string a great deal (one
 * code point becomes up to 18), so the buffer is sized by a first attempt.
 */
static UStr
icu_nfkc(UStr src)
{
	UErrorCode	status = U_ZERO_ERROR;
	const UNormalizer2 *nfkc = unorm2_getNFKCInstance(&status);
	UStr		dst;
	int32_t		capacity = src.len * 2 + 8;

	check_icu(status, "unorm2_getNFKCInstance");
	dst.data = palloc(capacity * sizeof(UChar));
	dst.len = unorm2_normalize(nfkc, src.data, src.len,
							   dst.data, capacity, &status);
	if (status == U_BUFFER_OVERFLOW_ERROR)
	{
		status = U_ZERO_ERROR;
		capacity = dst.len;
		dst.data = repalloc(dst.data, capacity * sizeof(UChar));
		dst.len = unorm2_normalize(nfkc, src.data, src.len,
								   dst.data, capacity, &status);
	}
	check_icu(status, "unorm2_normalize");
	return dst;
}

/*
 * Full lower case in ICU's root locale (no Turkish dotless i rules).
 */
static UStr
icu_lower(UStr src)
{
	UErrorCode	status = U_ZERO_ERROR;
	UStr		dst;
	int32_t		capacity = src.len + 8;

	dst.data = palloc(capacity * sizeof(UChar));
	dst.len = u_strToLower(dst.data, capacity, src.data, src.len,
						   "", &status);
	if (status == U_BUFFER_OVERFLOW_ERROR)
	{
		status = U_ZERO_ERROR;
		capacity = dst.len;
		dst.data = repalloc(dst.data, capacity * sizeof(UChar));
		dst.len = u_strToLower(dst.data, capacity, src.data, src.len,
							   "", &status);
	}
	check_icu(status, "u_strToLower");
	return dst;
}

/*
 * The normalization described at the top of this file.
 */
static UStr
normalize_ustr(UStr src)
{
	UStr		lowered = icu_lower(icu_nfkc(src));
	UStr		filtered;
	UStr		renormalized;
	UStr		dst;
	int32_t		i = 0;

	/* Step 3: white space to ' ', controls and ignorables removed */
	filtered.data = palloc((lowered.len + 1) * sizeof(UChar));
	filtered.len = 0;
	while (i < lowered.len)
	{
		UChar32		c;

		U16_NEXT(lowered.data, i, lowered.len, c);
		if (u_isUWhiteSpace(c))
			filtered.data[filtered.len++] = ' ';
		else if (u_charType(c) != U_CONTROL_CHAR &&
				 !u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT))
			U16_APPEND_UNSAFE(filtered.data, filtered.len, c);
	}

	renormalized = icu_nfkc(filtered);

	/* Step 5: trim, and collapse runs of spaces */
	dst.data = palloc((renormalized.len + 1) * sizeof(UChar));
	dst.len = 0;
	for (i = 0; i < renormalized.len; i++)
	{
		UChar		c = renormalized.data[i];

		if (c == ' ' && (dst.len == 0 || dst.data[dst.len - 1] == ' '))
			continue;
		dst.data[dst.len++] = c;
	}
	if (dst.len > 0 && dst.data[dst.len - 1] == ' ')
		dst.len--;
	return dst;
}

/*
 * Normalize a tag name given in the database encoding; the result is
 * palloc'd, in the database encoding.
 */
char *
tags_normalize_cstring(const char *name, int len)
{
	return ustr_to_server(normalize_ustr(ustr_from_server(name, len)));
}

/*
 * Raise 22001 if a normalized name is longer than tags.name can hold.  The
 * limit counts characters, as varchar(100) does.
 */
void
tags_check_name_length(const char *normalized)
{
	int			nchars = pg_mbstrlen(normalized);

	if (nchars > TAGS_NAME_MAX_CHARS)
		ereport(ERROR,
				errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				errmsg("tag name is too long"),
				errdetail("The name \"%s...\" has %d characters after normalization, and at most %d are allowed.",
						  pnstrdup(normalized,
								   pg_mbcharcliplen(normalized,
													strlen(normalized), 40)),
						  nchars, TAGS_NAME_MAX_CHARS));
}

/*
 * Replace the symbols that distinguish tags ("c", "c++", "c#") by words, so
 * that transliteration, which drops them, keeps the tags apart.
 */
static UStr
spell_symbols(UStr src)
{
	UStr		dst;
	int32_t		i;

	/* the longest word, " sharp ", takes 7 code units */
	dst.data = palloc((src.len * 7 + 1) * sizeof(UChar));
	dst.len = 0;
	for (i = 0; i < src.len; i++)
	{
		const char *word = NULL;

		switch (src.data[i])
		{
			case '+':
				word = " plus ";
				break;
			case '#':
				word = " sharp ";
				break;
			case '&':
				word = " and ";
				break;
			case '@':
				word = " at ";
				break;
		}
		if (word == NULL)
			dst.data[dst.len++] = src.data[i];
		else
			while (*word)
				dst.data[dst.len++] = (UChar) *word++;
	}
	return dst;
}

/*
 * Transliterate to Latin, then to ASCII, with the backend's transliterator.
 */
static UStr
transliterate(UStr src)
{
	UErrorCode	status = U_ZERO_ERROR;
	int32_t		capacity = src.len * 4 + 16;

	if (slug_transliterator == NULL)
	{
		static const char id[] = "Any-Latin; Latin-ASCII";
		UChar		uid[sizeof(id)];
		UParseError parse_error;

		u_charsToUChars(id, uid, sizeof(id));
		slug_transliterator = utrans_openU(uid, -1, UTRANS_FORWARD,
										   NULL, 0, &parse_error, &status);
		check_icu(status, "utrans_openU");
	}

	for (;;)
	{
		UStr		dst;
		int32_t		limit = src.len;

		dst.data = palloc(capacity * sizeof(UChar));
		memcpy(dst.data, src.data, src.len * sizeof(UChar));
		dst.len = src.len;
		utrans_transUChars(slug_transliterator, dst.data, &dst.len, capacity,
						   0, &limit, &status);
		if (status != U_BUFFER_OVERFLOW_ERROR)
		{
			check_icu(status, "utrans_transUChars");
			return dst;
		}
		status = U_ZERO_ERROR;
		capacity = dst.len + 16;
		pfree(dst.data);
	}
}

/* End the current word of a slug: a hyphen, unless there is one already */
static void
slug_break(StringInfo slug)
{
	if (slug->len > 0 && slug->data[slug->len - 1] != '-')
		appendStringInfoChar(slug, '-');
}

/*
 * Append ASCII text to a slug: [a-z0-9] kept (A-Z lower-cased), every other
 * character a word break.
 */
static void
slug_append_words(StringInfo slug, const char *s, int len)
{
	int			i;

	for (i = 0; i < len; i++)
	{
		char		c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			appendStringInfoChar(slug, c);
		else if (c >= 'A' && c <= 'Z')
			appendStringInfoChar(slug, c - 'A' + 'a');
		else
			slug_break(slug);
	}
}

/*
 * Append the Unicode names of the characters of s as words ("snake" for
 * U+1F40D), or "u" and the code point in hex for a character without a
 * name; spaces are skipped.
 */
static void
slug_append_char_names(StringInfo slug, const UChar *s, int32_t len)
{
	int32_t		i = 0;

	while (i < len)
	{
		UChar32		c;
		char		name[256];
		UErrorCode	status = U_ZERO_ERROR;
		int32_t		namelen;

		U16_NEXT(s, i, len, c);
		if (c == ' ')
			continue;
		namelen = u_charName(c, U_UNICODE_CHAR_NAME, name, sizeof(name),
							 &status);
		slug_break(slug);
		if (U_SUCCESS(status) && namelen > 0)
			slug_append_words(slug, name, namelen);
		else
			appendStringInfo(slug, "u%04x", (unsigned int) c);
	}
}

/*
 * Has ICU a transliterator from this script to Latin?  Any-Latin looks for
 * one named "<script>-Latin" (uscript_getName) for each run of a script, and
 * leaves the run alone when there is none; this asks the same question.  The
 * answer is kept for the life of the backend: only another ICU changes it.
 */
static bool
script_has_latin_transliterator(UScriptCode script)
{
	char		id[64];
	UChar		uid[64];
	UErrorCode	status = U_ZERO_ERROR;
	UParseError parse_error;
	UTransliterator *trans;
	bool		found;

	if (script_to_latin == NULL)
	{
		script_to_latin_len = u_getIntPropertyMaxValue(UCHAR_SCRIPT) + 1;
		script_to_latin = MemoryContextAllocZero(TopMemoryContext,
												 script_to_latin_len);
	}
	if (script < 0 || script >= script_to_latin_len)
		return false;
	if (script_to_latin[script] != 0)
		return script_to_latin[script] == 1;

	snprintf(id, sizeof(id), "%s-Latin", uscript_getName(script));
	u_charsToUChars(id, uid, strlen(id) + 1);
	trans = utrans_openU(uid, -1, UTRANS_FORWARD, NULL, 0, &parse_error,
						 &status);
	found = U_SUCCESS(status) && trans != NULL;
	if (trans != NULL)
		utrans_close(trans);
	script_to_latin[script] = found ? 1 : 2;
	return found;
}

/*
 * Does c start a run of a script that transliteration cannot touch: is it a
 * letter or digit outside ASCII in a script other than Latin, Common and
 * Inherited, which ICU cannot transliterate to Latin?  The letters that a
 * transliterated script keeps (Kazakh 'ү', Urdu 'ٹ', Japanese '々') are not:
 * they are word breaks, as they have always been.
 */
static bool
starts_foreign_run(UChar32 c)
{
	UErrorCode	status = U_ZERO_ERROR;
	UScriptCode script;

	if (c < 0x80 || (U_GET_GC_MASK(c) & (U_GC_L_MASK | U_GC_N_MASK)) == 0)
		return false;
	script = uscript_getScript(c, &status);
	if (U_FAILURE(status) || script == USCRIPT_COMMON ||
		script == USCRIPT_INHERITED || script == USCRIPT_LATIN)
		return false;
	return !script_has_latin_transliterator(script);
}

/* Such a run goes on over its letters and digits and any combining mark */
static bool
continues_foreign_run(UChar32 c)
{
	return starts_foreign_run(c) || (U_GET_GC_MASK(c) & U_GC_M_MASK) != 0;
}

/*
 * Append a run of letters of a script ICU cannot transliterate as one word:
 * its IDNA label (UTS #46 ToASCII, nontransitional) without the "xn--"
 * prefix, that is the Punycode (RFC 3492) of the run after IDNA's mapping,
 * which leaves a normalized name as it is but for Cherokee, folded to its
 * capitals.  ICU offers Punycode in its public API only this way.  The run
 * holds no ASCII, so the label is [a-z0-9] only; IDNA's limit of 63
 * characters is only an error flag, and the label comes whole.
 *
 * Returns false, appending nothing, if IDNA refuses the run (a character it
 * disallows, which it leaves in the label as U+FFFD).  With ICU 72 no letter
 * or digit of such a script is refused, alone or with any combining mark
 * after it; the caller still has a fallback for a later Unicode.
 */
static bool
slug_append_punycode(StringInfo slug, const UChar *run, int32_t len)
{
	UErrorCode	status = U_ZERO_ERROR;
	UIDNAInfo	info = UIDNA_INFO_INITIALIZER;
	int32_t		capacity = len * 4 + 16;
	UChar	   *label;
	int32_t		labellen;
	int32_t		i;

	if (slug_idna == NULL)
	{
		slug_idna = uidna_openUTS46(UIDNA_NONTRANSITIONAL_TO_ASCII, &status);
		check_icu(status, "uidna_openUTS46");
	}

	label = palloc(capacity * sizeof(UChar));
	labellen = uidna_labelToASCII(slug_idna, run, len, label, capacity,
								  &info, &status);
	if (status == U_BUFFER_OVERFLOW_ERROR)
	{
		status = U_ZERO_ERROR;
		capacity = labellen + 1;
		label = repalloc(label, capacity * sizeof(UChar));
		labellen = uidna_labelToASCII(slug_idna, run, len, label, capacity,
									  &info, &status);
	}
	check_icu(status, "uidna_labelToASCII");

	/* a Punycode label is "xn--" and [a-z0-9-]; anything else is refused */
	if (labellen <= 4 || label[0] != 'x' || label[1] != 'n' ||
		label[2] != '-' || label[3] != '-')
		return false;
	for (i = 4; i < labellen; i++)
		if (!((label[i] >= 'a' && label[i] <= 'z') ||
			  (label[i] >= '0' && label[i] <= '9') || label[i] == '-'))
			return false;

	for (i = 4; i < labellen; i++)
	{
		if (label[i] == '-')
			slug_break(slug);
		else
			appendStringInfoChar(slug, (char) label[i]);
	}
	return true;
}

/*
 * Turn transliterated text into a slug: keep [a-z0-9] (A-Z lower-cased),
 * drop apostrophes ("don't" is "dont"), write each run of a script ICU cannot
 * transliterate as a word of its own (Punycode, or its characters' names),
 * and turn every other run of characters into one hyphen.  *encoded tells
 * whether there was such a run.  The result may be empty.
 */
static char *
ascii_slug(UStr src, bool *encoded)
{
	StringInfoData slug;
	int32_t		i = 0;

	*encoded = false;
	initStringInfo(&slug);
	while (i < src.len)
	{
		int32_t		start = i;
		UChar32		c;

		U16_NEXT(src.data, i, src.len, c);
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			appendStringInfoChar(&slug, (char) c);
		else if (c >= 'A' && c <= 'Z')
			appendStringInfoChar(&slug, (char) (c - 'A' + 'a'));
		else if (c == '\'' || c == 0x2019)
			continue;
		else if (starts_foreign_run(c))
		{
			/* take the whole run */
			while (i < src.len)
			{
				int32_t		next = i;
				UChar32		d;

				U16_NEXT(src.data, next, src.len, d);
				if (!continues_foreign_run(d))
					break;
				i = next;
			}
			slug_break(&slug);
			if (!slug_append_punycode(&slug, src.data + start, i - start))
				slug_append_char_names(&slug, src.data + start, i - start);
			slug_break(&slug);
			*encoded = true;
		}
		else
			slug_break(&slug);
	}
	if (slug.len > 0 && slug.data[slug.len - 1] == '-')
		slug.data[--slug.len] = '\0';
	return slug.data;
}

/*
 * Spell a name that gives no slug otherwise (symbols, emoji) with the
 * Unicode names of its characters.
 */
static char *
slug_from_char_names(UStr src)
{
	StringInfoData slug;

	initStringInfo(&slug);
	slug_append_char_names(&slug, src.data, src.len);
	if (slug.len > 0 && slug.data[slug.len - 1] == '-')
		slug.data[--slug.len] = '\0';
	return slug.data;
}

/*
 * Cut a slug to the base length, at a hyphen where one is near enough.
 *
 * With checksum, the slug keeps its first 81 characters (at a hyphen, the
 * same way) and ends with the CRC-32C of the whole slug in 8 hex digits.  A
 * slug with Punycode words is cut so: a name of a script ICU cannot
 * transliterate takes about two characters of slug per letter, so long ones
 * are cut often, and two of them that differ near the end (CLDR's "...: skin
 * tone 4" and "...: skin tone 5") would share a base slug.  Other slugs are
 * words a reader knows and are cut as they always were.
 */
static char *
cut_slug(char *slug, bool checksum)
{
	int			len = strlen(slug);
	int			keep = TAGS_SLUG_BASE_MAX_CHARS;
	pg_crc32c	crc = 0;
	bool		mid_word;
	char	   *hyphen;

	if (len <= TAGS_SLUG_BASE_MAX_CHARS)
		return slug;
	if (checksum)
	{
		INIT_CRC32C(crc);
		COMP_CRC32C(crc, slug, len);
		FIN_CRC32C(crc);
		/* room for "-" and 8 hex digits */
		keep -= 9;
	}
	mid_word = slug[keep] != '-';
	slug[keep] = '\0';
	/* a word cut in the middle: keep only the whole words before it */
	if (mid_word && (hyphen = strrchr(slug, '-')) != NULL)
		*hyphen = '\0';
	/* never end on a hyphen */
	len = strlen(slug);
	while (len > 0 && slug[len - 1] == '-')
		slug[--len] = '\0';
	if (checksum)
		slug = psprintf("%s-%08x", slug, (unsigned int) crc);
	return slug;
}

/*
 * The base slug of a normalized name: ASCII, matching
 * ^[a-z0-9]+(-[a-z0-9]+)*$, at most 90 characters, never empty.
 */
static char *
slugify_ustr(UStr name)
{
	bool		encoded;
	char	   *slug = ascii_slug(transliterate(spell_symbols(name)), &encoded);

	if (slug[0] == '\0')
		slug = slug_from_char_names(name);
	if (slug[0] == '\0')
		slug = pstrdup("tag");
	return cut_slug(slug, encoded);
}

/*
 * The base slug of a normalized name given in the database encoding.
 */
char *
tags_slugify_cstring(const char *normalized)
{
	return slugify_ustr(ustr_from_server(normalized, strlen(normalized)));
}

/*
 * tag_normalize(name text) RETURNS text
 */
Datum
tag_normalize(PG_FUNCTION_ARGS)
{
	text	   *name = PG_GETARG_TEXT_PP(0);

	PG_RETURN_TEXT_P(cstring_to_text(tags_normalize_cstring(VARDATA_ANY(name),
															VARSIZE_ANY_EXHDR(name))));
}

/*
 * tag_slugify(name text) RETURNS text
 *
 * The name is normalized first, so any spelling of a tag's name gives the
 * same base slug; the slug is made from the normalized name in UTF-16, so
 * a database encoding that cannot hold the normalized name ("µ" is U+03BC
 * after NFKC, which LATIN1 lacks) still gets a slug.
 */
Datum
tag_slugify(PG_FUNCTION_ARGS)
{
	text	   *name = PG_GETARG_TEXT_PP(0);
	UStr		normalized = normalize_ustr(ustr_from_server(VARDATA_ANY(name),
															 VARSIZE_ANY_EXHDR(name)));

	PG_RETURN_TEXT_P(cstring_to_text(slugify_ustr(normalized)));
}
