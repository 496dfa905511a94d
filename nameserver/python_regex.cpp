#include "nameserver/python_regex.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <map>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "pyro/errors.hpp"
#include "pyro/value.hpp"

namespace pyro::ns::unicode_tables {
struct CodeRange {
    std::uint32_t lo;
    std::uint32_t hi;
};
} // namespace pyro::ns::unicode_tables

// Written at build time by tools/gen_unicode_names.py from the Python pyro4-ns runs with.
#include "nameserver/unicode_tables.inc"

namespace pyro::ns {

namespace {

using unicode_tables::CodeRange;

// Python 3.11's _sre.MAXREPEAT and _sre.MAXGROUPS.
constexpr std::uint64_t python_maxrepeat = 4294967295U;
constexpr std::uint64_t python_maxgroups = 1073741823U;
// Python's re parser recurses and stops with RecursionError a little below 500 nested groups; past
// this depth we stop reading at once instead of keeping state for every '('.
constexpr std::size_t nesting_hard_stop = 1000;
constexpr char32_t last_code_point = 0x10FFFF;

// re's flag bits (re._constants.SRE_FLAG_*), kept as Python combines them.
constexpr int flag_template = 1;
constexpr int flag_ignorecase = 2;
constexpr int flag_locale = 4;
constexpr int flag_multiline = 8;
constexpr int flag_dotall = 16;
constexpr int flag_unicode = 32;
constexpr int flag_verbose = 64;
constexpr int flag_ascii = 256;
constexpr int type_flags = flag_ascii | flag_locale | flag_unicode;
constexpr int global_flags = flag_template; // and DEBUG, which has no inline letter

std::optional<int> flag_of(std::u32string_view token) {
    if (token.size() != 1) {
        return std::nullopt;
    }
    switch (token[0]) {
    case U'i':
        return flag_ignorecase;
    case U'L':
        return flag_locale;
    case U'm':
        return flag_multiline;
    case U's':
        return flag_dotall;
    case U'x':
        return flag_verbose;
    case U'a':
        return flag_ascii;
    case U't':
        return flag_template;
    case U'u':
        return flag_unicode;
    default:
        return std::nullopt;
    }
}

int combine_flags(int flags, int add, int del) {
    if ((add & type_flags) != 0) {
        flags &= ~type_flags;
    }
    return (flags | add) & ~del;
}

// ---- text ---------------------------------------------------------------------------------

std::optional<std::u32string> decode_utf8(std::string_view text) {
    std::u32string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto lead = static_cast<unsigned char>(text[i]);
        std::size_t length = 0;
        char32_t cp = 0;
        if (lead < 0x80) {
            length = 1;
            cp = lead;
        } else if ((lead & 0xE0) == 0xC0) {
            length = 2;
            cp = lead & 0x1FU;
        } else if ((lead & 0xF0) == 0xE0) {
            length = 3;
            cp = lead & 0x0FU;
        } else if ((lead & 0xF8) == 0xF0) {
            length = 4;
            cp = lead & 0x07U;
        } else {
            return std::nullopt;
        }
        if (i + length > text.size()) {
            return std::nullopt;
        }
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xC0) != 0x80) {
                return std::nullopt;
            }
            cp = (cp << 6) | (next & 0x3FU);
        }
        constexpr std::array<char32_t, 5> smallest{0, 0, 0x80, 0x800, 0x10000};
        if (cp < smallest[length] || cp > last_code_point || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return std::nullopt;
        }
        out += cp;
        i += length;
    }
    return out;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

std::string utf8(std::u32string_view text) {
    std::string out;
    for (const char32_t cp : text) {
        append_utf8(out, cp);
    }
    return out;
}

// Python's repr() of a str, as re's "%r" shows group and character names.
std::string python_repr(std::u32string_view text) {
    return Value(utf8(text)).repr();
}

bool in_ranges(std::span<const CodeRange> ranges, char32_t cp) {
    const auto after = std::upper_bound(ranges.begin(), ranges.end(), cp,
                                        [](char32_t c, const CodeRange& r) { return c < r.lo; });
    return after != ranges.begin() && cp <= std::prev(after)->hi;
}

bool is_ascii_digit(char32_t c) {
    return c >= U'0' && c <= U'9';
}
bool is_octal_digit(char32_t c) {
    return c >= U'0' && c <= U'7';
}
bool is_hex_digit(char32_t c) {
    return is_ascii_digit(c) || (c >= U'a' && c <= U'f') || (c >= U'A' && c <= U'F');
}
bool is_ascii_letter(char32_t c) {
    return (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z');
}
char32_t ascii_upper(char32_t c) {
    return c >= U'a' && c <= U'z' ? c - 32 : c;
}

// str.isidentifier(), str.isalpha(): what Python calls a valid group name, and which of two texts
// an unknown flag letter gets.
bool is_identifier(std::u32string_view name) {
    if (name.empty() || !in_ranges(unicode_tables::identifier_start, name[0])) {
        return false;
    }
    return std::all_of(name.begin() + 1, name.end(), [](char32_t c) {
        return in_ranges(unicode_tables::identifier_continue, c);
    });
}
bool is_alpha_token(std::u32string_view token) {
    return token.size() == 1 && in_ranges(unicode_tables::alphabetic, token[0]);
}

// ---- unicodedata.lookup() -----------------------------------------------------------------

bool starts_with_ignoring_case(std::u32string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) {
        return false;
    }
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (ascii_upper(text[i]) != static_cast<char32_t>(prefix[i])) {
            return false;
        }
    }
    return true;
}

// unicodedata.c's find_syllable(): the longest jamo short name at the start of `text`.
std::optional<std::size_t> find_jamo(std::u32string_view text, std::size_t& length,
                                     std::span<const std::string_view> jamo) {
    std::optional<std::size_t> found;
    std::size_t best = 0;
    for (std::size_t i = 0; i < jamo.size(); ++i) {
        const auto& short_name = jamo[i];
        if ((found && short_name.size() <= best) || short_name.size() > text.size()) {
            continue;
        }
        if (std::equal(short_name.begin(), short_name.end(), text.begin(),
                       [](char a, char32_t b) { return static_cast<char32_t>(a) == b; })) {
            found = i;
            best = short_name.size();
        }
    }
    length = best;
    return found;
}

// unicodedata.lookup() for one character: names and aliases, case-insensitive, with Hangul
// syllables and CJK unified ideographs computed from the name as unicodedata.c's _getcode() does.
std::optional<char32_t> lookup_character_name(std::u32string_view name) {
    constexpr std::size_t name_maxlen = 256; // unicodedata.c's NAME_MAXLEN
    if (name.size() > name_maxlen ||
        std::any_of(name.begin(), name.end(), [](char32_t c) { return c >= 0x80; })) {
        return std::nullopt;
    }
    if (starts_with_ignoring_case(name, "HANGUL SYLLABLE ")) {
        static constexpr std::array<std::string_view, 19> leading{
            "G",  "GG", "N", "D",  "DD", "R", "M", "B", "BB", "S",
            "SS", "",   "J", "JJ", "C",  "K", "T", "P", "H"};
        static constexpr std::array<std::string_view, 21> vowel{
            "A",  "AE", "YA", "YAE", "EO", "E",  "YEO", "YE", "O",  "WA", "WAE",
            "OE", "YO", "U",  "WEO", "WE", "WI", "YU",  "EU", "YI", "I"};
        static constexpr std::array<std::string_view, 28> trailing{
            "",   "G",  "GG", "GS", "N",  "NJ", "NH", "D",  "L", "LG", "LM", "LB", "LS", "LT",
            "LP", "LH", "M",  "B",  "BS", "S",  "SS", "NG", "J", "C",  "K",  "T",  "P",  "H"};
        auto rest = name.substr(16);
        std::size_t length = 0;
        const auto l = find_jamo(rest, length, leading);
        rest.remove_prefix(length);
        const auto v = find_jamo(rest, length, vowel);
        rest.remove_prefix(length);
        const auto t = find_jamo(rest, length, trailing);
        rest.remove_prefix(length);
        if (!l || !v || !t || !rest.empty()) {
            return std::nullopt;
        }
        return static_cast<char32_t>(0xAC00 + (*l * vowel.size() + *v) * trailing.size() + *t);
    }
    if (starts_with_ignoring_case(name, "CJK UNIFIED IDEOGRAPH-")) {
        const auto digits = name.substr(22);
        if (digits.size() != 4 && digits.size() != 5) {
            return std::nullopt;
        }
        char32_t cp = 0;
        for (const char32_t d : digits) { // upper-case hex only, as _getcode() reads it
            if (is_ascii_digit(d)) {
                cp = cp * 16 + (d - U'0');
            } else if (d >= U'A' && d <= U'F') {
                cp = cp * 16 + (d - U'A' + 10);
            } else {
                return std::nullopt;
            }
        }
        if (!in_ranges(unicode_tables::cjk_unified_ideographs, cp)) {
            return std::nullopt;
        }
        return cp;
    }
    std::string key;
    for (const char32_t c : name) {
        key += static_cast<char>(ascii_upper(c));
    }
    const std::string_view text(unicode_tables::name_text, sizeof unicode_tables::name_text - 1);
    const auto entry = [&](std::size_t i) {
        return text.substr(unicode_tables::name_offsets[i],
                           unicode_tables::name_offsets[i + 1] - unicode_tables::name_offsets[i]);
    };
    std::size_t lo = 0;
    std::size_t hi = std::size(unicode_tables::name_codes);
    while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        if (entry(mid) < key) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo < std::size(unicode_tables::name_codes) && entry(lo) == key) {
        return unicode_tables::name_codes[lo];
    }
    return std::nullopt;
}

// ---- errors -------------------------------------------------------------------------------

// re.error: Python's text, and the position it adds " at position N" for.
struct PatternError {
    std::string message;
    std::optional<std::size_t> position;
};

// A pattern Python accepts but the name server will not run (message without the prefix).
struct LimitError {
    std::string message;
};

// str(re.error) as Python 3.11 builds it: the position, then line and column for a pattern that
// has more than one line.
std::string python_error_text(const PatternError& error, std::u32string_view pattern) {
    std::string text = error.message;
    if (error.position) {
        const std::size_t pos = std::min(*error.position, pattern.size());
        text += " at position " + std::to_string(pos);
        if (pattern.find(U'\n') != std::u32string_view::npos) {
            const auto before = pattern.substr(0, pos);
            const auto line = std::count(before.begin(), before.end(), U'\n') + 1;
            const auto last_newline = before.rfind(U'\n');
            const std::size_t column =
                last_newline == std::u32string_view::npos ? pos + 1 : pos - last_newline;
            text += " (line " + std::to_string(line) + ", column " + std::to_string(column) + ")";
        }
    }
    return text;
}

// ---- the tokenizer ------------------------------------------------------------------------

// re._parser.Tokenizer: a token is one character, or a backslash with the character after it.
// It reads one token ahead, so a trailing backslash is reported as soon as it is looked at.
class Tokenizer {
public:
    explicit Tokenizer(const std::u32string& text) : text_(text) { advance(); }

    [[nodiscard]] std::u32string_view next() const { return next_; }
    [[nodiscard]] bool at_end() const { return next_.empty(); }
    [[nodiscard]] bool next_is(char32_t c) const { return next_.size() == 1 && next_[0] == c; }
    bool match(char32_t c) {
        if (next_is(c)) {
            advance();
            return true;
        }
        return false;
    }
    std::u32string_view get() {
        const auto token = next_;
        advance();
        return token;
    }
    template <class Predicate>
    std::u32string getwhile(std::size_t n, Predicate in_set) {
        std::u32string result;
        for (std::size_t i = 0; i < n && next_.size() == 1 && in_set(next_[0]); ++i) {
            result += next_;
            advance();
        }
        return result;
    }
    std::u32string getuntil(char32_t terminator, const std::string& name) {
        std::u32string result;
        while (true) {
            const auto token = next_;
            advance();
            if (token.empty()) {
                if (result.empty()) {
                    throw error("missing " + name);
                }
                throw error("missing " + utf8(std::u32string(1, terminator)) +
                                ", unterminated name",
                            result.size());
            }
            if (token.size() == 1 && token[0] == terminator) {
                if (result.empty()) {
                    throw error("missing " + name, 1);
                }
                break;
            }
            result += token;
        }
        return result;
    }
    [[nodiscard]] std::size_t tell() const { return index_ - next_.size(); }
    void seek(std::size_t index) {
        index_ = index;
        advance();
    }
    [[nodiscard]] PatternError error(std::string message, std::size_t offset = 0) const {
        return PatternError{std::move(message), tell() - offset};
    }

private:
    void advance() {
        if (index_ >= text_.size()) {
            next_ = {};
            return;
        }
        std::size_t length = 1;
        if (text_[index_] == U'\\') {
            if (index_ + 1 >= text_.size()) {
                throw PatternError{"bad escape (end of pattern)", text_.size() - 1};
            }
            length = 2;
        }
        next_ = std::u32string_view(text_).substr(index_, length);
        index_ += length;
    }

    const std::u32string& text_;
    std::size_t index_ = 0;
    std::u32string_view next_;
};

// ---- widths (for Python's fixed-width look-behind rule) -----------------------------------

struct Width {
    std::uint64_t lo = 0;
    std::uint64_t hi = 0;
};

// Widths saturate far above MAXREPEAT, where Python's own capping makes them all alike.
constexpr std::uint64_t width_ceiling = std::uint64_t{1} << 62;
std::uint64_t width_add(std::uint64_t a, std::uint64_t b) {
    return std::min(a + b, width_ceiling);
}
std::uint64_t width_mul(std::uint64_t a, std::uint64_t b) {
    if (a == 0 || b == 0) {
        return 0;
    }
    return a > width_ceiling / b ? width_ceiling : std::min(a * b, width_ceiling);
}
Width add_widths(Width a, Width b) {
    return {width_add(a.lo, b.lo), width_add(a.hi, b.hi)};
}
// SubPattern.getwidth()'s final clamp.
Width capped(Width w) {
    return {std::min(w.lo, python_maxrepeat - 1), std::min(w.hi, python_maxrepeat)};
}

// ---- character sets in PCRE2 ---------------------------------------------------------------

using Ranges = std::vector<std::pair<char32_t, char32_t>>;

// _PyUnicode_IsWhitespace(): Python's \s on str patterns. PCRE2's UCP \s differs (it lacks
// U+001C..U+001F and has U+180E), so \s is always spelt out.
const Ranges& python_whitespace() {
    static const Ranges ranges{
        {0x09, 0x0D},     {0x1C, 0x20},     {0x85, 0x85},     {0xA0, 0xA0},     {0x1680, 0x1680},
        {0x2000, 0x200A}, {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000}};
    return ranges;
}
const Ranges& ascii_whitespace() {
    static const Ranges ranges{{0x09, 0x0D}, {0x20, 0x20}};
    return ranges;
}
const Ranges& ascii_digits() {
    static const Ranges ranges{{U'0', U'9'}};
    return ranges;
}
const Ranges& ascii_word() {
    static const Ranges ranges{{U'0', U'9'}, {U'A', U'Z'}, {U'_', U'_'}, {U'a', U'z'}};
    return ranges;
}

Ranges complement(const Ranges& ranges) {
    Ranges out;
    char32_t next = 0;
    for (const auto& [lo, hi] : ranges) {
        if (lo > next) {
            out.emplace_back(next, lo - 1);
        }
        next = hi + 1;
    }
    if (next <= last_code_point) {
        out.emplace_back(next, last_code_point);
    }
    return out;
}

void append_hex(std::string& out, char32_t cp) {
    static constexpr std::string_view digits = "0123456789abcdef";
    std::string hex;
    do {
        hex.insert(hex.begin(), digits[cp % 16]);
        cp /= 16;
    } while (cp != 0);
    out += "\\x{";
    out += hex;
    out += '}';
}

// One range inside a PCRE2 class. Surrogates are left out: UTF mode refuses them, and a name
// (valid UTF-8) never holds one. Returns whether anything was written.
bool append_class_range(std::string& out, char32_t lo, char32_t hi) {
    if (lo >= 0xD800 && hi <= 0xDFFF) {
        return false;
    }
    if (lo < 0xD800 && hi >= 0xD800) {
        const bool first = append_class_range(out, lo, 0xD7FF);
        return append_class_range(out, 0xE000, hi) || first;
    }
    lo = lo >= 0xD800 && lo <= 0xDFFF ? 0xE000 : lo;
    hi = hi >= 0xD800 && hi <= 0xDFFF ? 0xD7FF : hi;
    append_hex(out, lo);
    if (hi != lo) {
        out += '-';
        append_hex(out, hi);
    }
    return true;
}

// Where Python's IGNORECASE (lower(), plus re._casefix) and PCRE2's caseless matching (Unicode
// case folding) disagree: comparing every cased character of Unicode 14 both ways, Python also
// matches these with each other, PCRE2 does not (and never matches more than Python). Under
// Unicode IGNORECASE each is written as its whole group.
constexpr std::array<std::array<char32_t, 4>, 4> python_case_groups{{
    {0x49, 0x69, 0x130, 0x131}, // I i, LATIN CAPITAL LETTER I WITH DOT ABOVE, DOTLESS I
    {0x390, 0x1FD3, 0, 0},      // GREEK SMALL LETTER IOTA WITH DIALYTIKA AND TONOS, twice
    {0x3B0, 0x1FE3, 0, 0},      // GREEK SMALL LETTER UPSILON WITH DIALYTIKA AND TONOS, twice
    {0xFB05, 0xFB06, 0, 0},     // LATIN SMALL LIGATURE LONG S T, LATIN SMALL LIGATURE ST
}};

// The group of `cp` in python_case_groups, if it has one.
const std::array<char32_t, 4>* python_case_group(char32_t cp) {
    for (const auto& group : python_case_groups) {
        if (std::find(group.begin(), group.end(), cp) != group.end() && cp != 0) {
            return &group;
        }
    }
    return nullptr;
}

// Matches nothing: a literal surrogate (\ud800) that no UTF-8 name can hold.
constexpr std::string_view never_matches = "[^\\x{0}-\\x{10ffff}]";

// A member of a Python set: a character, a range, or a category (\d \D \s \S \w \W).
struct SetItem {
    enum class Kind { Literal, Range, Category } kind = Kind::Literal;
    char32_t lo = 0;
    char32_t hi = 0;
};

// ---- the front end ------------------------------------------------------------------------

// What an escape outside a set stands for (re._parser._escape).
struct Escape {
    enum class Kind { Literal, Category, Anchor, GroupRef } kind = Kind::Literal;
    char32_t value = 0;
    std::size_t group = 0;
};

enum class Construct { Top, Group, Atomic, LookAhead, LookBehind, Conditional };
enum class Last { Nothing, Anchor, Repeat, Item }; // the last item of the current branch

// One open group: what _parse_sub() (and the _parse() of its current branch) hold in Python's
// recursive parser, kept on a vector so nesting costs heap, not stack.
struct Frame {
    Construct construct = Construct::Top;
    std::size_t start = 0; // the '(' in the pattern
    int flags = 0;         // the flags re compiles this group's contents with
    bool verbose = false;
    bool caseless = false; // PCRE2's caseless option inside (only for Unicode IGNORECASE)
    std::optional<std::size_t> group;
    bool negative = false;
    bool resets_lookbehind = false;
    // The alternation so far.
    bool first_branch = true;
    Width alternatives{python_maxrepeat - 1, 0};
    // The current branch.
    bool branch_empty = true;
    Last last = Last::Nothing;
    Width before_last;
    Width last_width;
    std::size_t last_start = 0;
    // Conditional groups: the second ("no") branch has started; the first one's width.
    bool in_no_branch = false;
    Width yes;
};

struct Translation {
    std::string pcre2;
    bool caseless = false; // PCRE2_CASELESS for the whole pattern
};

class Translator {
public:
    explicit Translator(const std::u32string& pattern) : source_(pattern) {}

    Translation run() {
        frames_.push_back(Frame{});
        while (!frames_.empty()) {
            step();
        }
        return finish();
    }

private:
    Frame& top() { return frames_.back(); }

    // ---- the parse loop (re._parser._parse, one token per call) ----

    void step() {
        if (source_.at_end() || source_.next_is(U'|') || source_.next_is(U')')) {
            end_branch();
            return;
        }
        const std::u32string this_token(source_.get());
        const std::size_t item_start = source_.tell() - this_token.size();
        if (top().verbose) {
            if (this_token.size() == 1 && is_verbose_whitespace(this_token[0])) {
                return;
            }
            if (this_token == U"#") {
                while (true) {
                    const auto skipped = source_.get();
                    if (skipped.empty() || skipped == U"\n") {
                        break;
                    }
                }
                return;
            }
        }
        if (this_token[0] == U'\\') {
            on_escape(this_token, item_start);
            return;
        }
        const char32_t c = this_token[0];
        switch (c) {
        case U'[':
            on_set(item_start);
            return;
        case U'*':
        case U'+':
        case U'?':
        case U'{':
            on_repeat(c, item_start);
            return;
        case U'.':
            out_ += (top().flags & flag_dotall) != 0 ? "(?s:.)" : "[^\\n]";
            append_item(Last::Item, {1, 1}, item_start);
            return;
        case U'(':
            on_open(item_start);
            return;
        case U'^':
            out_ += (top().flags & flag_multiline) != 0 ? "(?<![^\\n])" : "\\A";
            append_item(Last::Anchor, {}, item_start);
            return;
        case U'$':
            out_ += (top().flags & flag_multiline) != 0 ? "(?![^\\n])" : "(?=\\n?\\z)";
            append_item(Last::Anchor, {}, item_start);
            return;
        default:
            emit_literal(c);
            append_item(Last::Item, {1, 1}, item_start);
            return;
        }
    }

    static bool is_verbose_whitespace(char32_t c) {
        return c == U' ' || c == U'\t' || c == U'\n' || c == U'\r' || c == U'\v' || c == U'\f';
    }

    void append_item(Last kind, Width width, std::size_t start) {
        Frame& f = top();
        f.before_last = add_widths(f.before_last, f.last_width);
        f.last_width = width;
        f.last = kind;
        f.last_start = start;
        f.branch_empty = false;
    }

    static Width branch_width(const Frame& f) {
        return capped(add_widths(f.before_last, f.last_width));
    }

    void reset_branch(Frame& f) {
        f.branch_empty = true;
        f.last = Last::Nothing;
        f.before_last = {};
        f.last_width = {};
    }

    // The current _parse() returned (end of pattern, '|' or ')').
    void end_branch() {
        Frame& f = top();
        if (f.construct == Construct::Conditional) {
            end_conditional_branch();
            return;
        }
        const Width w = branch_width(f);
        f.alternatives.lo = std::min(f.alternatives.lo, w.lo);
        f.alternatives.hi = std::max(f.alternatives.hi, w.hi);
        if (source_.match(U'|')) {
            out_ += '|';
            reset_branch(f);
            f.first_branch = false;
            if (f.construct == Construct::Top) {
                f.verbose = (state_flags_ & flag_verbose) != 0;
            }
            return;
        }
        const Width width = capped(f.alternatives);
        if (f.construct == Construct::Top) {
            frames_.pop_back();
            return;
        }
        if (f.construct == Construct::LookBehind && f.resets_lookbehind) {
            lookbehind_groups_.reset();
        }
        if (!source_.match(U')')) {
            throw source_.error("missing ), unterminated subpattern", source_.tell() - f.start);
        }
        if (f.group) {
            group_widths_[*f.group] = width;
        }
        if (f.construct == Construct::LookBehind && width.lo != width.hi) {
            compile_problem(f.start, 1, "look-behind requires fixed-width pattern");
        }
        const Construct construct = f.construct;
        const std::size_t start = f.start;
        frames_.pop_back();
        out_ += ')';
        const bool assertion =
            construct == Construct::LookAhead || construct == Construct::LookBehind;
        append_item(Last::Item, assertion ? Width{} : width, start);
    }

    void end_conditional_branch() {
        Frame& f = top();
        if (!f.in_no_branch && source_.match(U'|')) {
            f.yes = branch_width(f);
            f.in_no_branch = true;
            out_ += '|';
            reset_branch(f);
            return;
        }
        if (f.in_no_branch && source_.next_is(U'|')) {
            throw source_.error("conditional backref with more than two branches");
        }
        if (!source_.match(U')')) {
            throw source_.error("missing ), unterminated subpattern", source_.tell() - f.start);
        }
        Width width;
        if (f.in_no_branch) {
            const Width no = branch_width(f);
            width = {std::min(f.yes.lo, no.lo), std::max(f.yes.hi, no.hi)};
        } else {
            width = {0, branch_width(f).hi};
        }
        const std::size_t start = f.start;
        frames_.pop_back();
        out_ += ')';
        append_item(Last::Item, capped(width), start);
    }

    // ---- literals, escapes, sets ----

    void emit_literal(char32_t c) {
        const int flags = top().flags;
        if (c >= 0xD800 && c <= 0xDFFF) {
            out_ += never_matches;
        } else if (const auto* group = unicode_caseless(flags) ? python_case_group(c) : nullptr) {
            out_ += '[';
            for (const char32_t member : *group) {
                if (member != 0) {
                    append_hex(out_, member);
                }
            }
            out_ += ']';
        } else if ((flags & flag_ascii) != 0 && (flags & flag_ignorecase) != 0 &&
                   is_ascii_letter(c)) {
            // ASCII IGNORECASE folds ASCII letters only; PCRE2's caseless would fold more
            // (k with KELVIN SIGN), so the two cases are written out.
            out_ += '[';
            out_ += static_cast<char>(c | 0x20);
            out_ += static_cast<char>(c & ~char32_t{0x20});
            out_ += ']';
        } else if (is_ascii_letter(c) || is_ascii_digit(c)) {
            out_ += static_cast<char>(c);
        } else {
            append_hex(out_, c);
        }
    }

    // \x.., \u...., \U........, \N{...}: one character, the same in and out of sets. nullopt when
    // the escape is another kind.
    std::optional<char32_t> character_escape(std::u32string& escape) {
        const char32_t c = escape[1];
        if (c == U'x' || c == U'u' || c == U'U') {
            const std::size_t digits = c == U'x' ? 2 : c == U'u' ? 4 : 8;
            escape += source_.getwhile(digits, is_hex_digit);
            if (escape.size() != digits + 2) {
                throw source_.error("incomplete escape " + utf8(escape), escape.size());
            }
            std::uint64_t value = 0;
            for (std::size_t i = 2; i < escape.size(); ++i) {
                const char32_t d = escape[i];
                value = value * 16 + (is_ascii_digit(d) ? d - U'0' : (d | 0x20) - U'a' + 10);
            }
            if (value > last_code_point) { // chr() refuses it
                throw source_.error("bad escape " + utf8(escape), escape.size());
            }
            return static_cast<char32_t>(value);
        }
        if (c == U'N') {
            if (!source_.match(U'{')) {
                throw source_.error("missing {");
            }
            const std::u32string name = source_.getuntil(U'}', "character name");
            if (auto cp = lookup_character_name(name)) {
                return *cp;
            }
            throw source_.error("undefined character name " + python_repr(name), name.size() + 4);
        }
        return std::nullopt;
    }

    static std::optional<char32_t> simple_escape(char32_t c) {
        switch (c) {
        case U'a':
            return 7;
        case U'b':
            return 8;
        case U'f':
            return 12;
        case U'n':
            return 10;
        case U'r':
            return 13;
        case U't':
            return 9;
        case U'v':
            return 11;
        case U'\\':
            return U'\\';
        default:
            return std::nullopt;
        }
    }

    static bool is_category(char32_t c) {
        return c == U'd' || c == U'D' || c == U's' || c == U'S' || c == U'w' || c == U'W';
    }

    // re._parser._class_escape.
    SetItem class_escape(std::u32string escape) {
        const char32_t c = escape[1];
        if (auto simple = simple_escape(c)) {
            return {SetItem::Kind::Literal, *simple, *simple};
        }
        if (is_category(c)) {
            return {SetItem::Kind::Category, c, c};
        }
        if (auto cp = character_escape(escape)) {
            return {SetItem::Kind::Literal, *cp, *cp};
        }
        if (is_octal_digit(c)) {
            escape += source_.getwhile(2, is_octal_digit);
            const char32_t value = octal_value(escape);
            if (value > 0377) {
                throw source_.error("octal escape value " + utf8(escape) +
                                        " outside of range 0-0o377",
                                    escape.size());
            }
            return {SetItem::Kind::Literal, value, value};
        }
        if (!is_ascii_digit(c) && escape.size() == 2 && !is_ascii_letter(c)) {
            return {SetItem::Kind::Literal, c, c};
        }
        throw source_.error("bad escape " + utf8(escape), escape.size());
    }

    static char32_t octal_value(std::u32string_view escape) {
        char32_t value = 0;
        for (std::size_t i = 1; i < escape.size(); ++i) {
            value = value * 8 + (escape[i] - U'0');
        }
        return value;
    }

    // re._parser._escape.
    Escape parse_escape(std::u32string escape) {
        const char32_t c = escape[1];
        switch (c) {
        case U'A':
        case U'Z':
        case U'b':
        case U'B':
            return {Escape::Kind::Anchor, c, 0};
        default:
            break;
        }
        if (is_category(c)) {
            return {Escape::Kind::Category, c, 0};
        }
        if (auto simple = simple_escape(c)) {
            return {Escape::Kind::Literal, *simple, 0};
        }
        if (auto cp = character_escape(escape)) {
            return {Escape::Kind::Literal, *cp, 0};
        }
        if (c == U'0') {
            escape += source_.getwhile(2, is_octal_digit);
            return {Escape::Kind::Literal, octal_value(escape), 0};
        }
        if (is_ascii_digit(c)) {
            if (source_.next().size() == 1 && is_ascii_digit(source_.next()[0])) {
                escape += source_.get();
                if (is_octal_digit(escape[1]) && is_octal_digit(escape[2]) &&
                    source_.next().size() == 1 && is_octal_digit(source_.next()[0])) {
                    escape += source_.get();
                    const char32_t value = octal_value(escape);
                    if (value > 0377) {
                        throw source_.error("octal escape value " + utf8(escape) +
                                                " outside of range 0-0o377",
                                            escape.size());
                    }
                    return {Escape::Kind::Literal, value, 0};
                }
            }
            std::size_t group = 0;
            for (std::size_t i = 1; i < escape.size(); ++i) {
                group = group * 10 + (escape[i] - U'0');
            }
            if (group < group_widths_.size()) {
                if (!group_closed(group)) {
                    throw source_.error("cannot refer to an open group", escape.size());
                }
                check_lookbehind_group(group);
                return {Escape::Kind::GroupRef, 0, group};
            }
            throw source_.error("invalid group reference " + std::to_string(group),
                                escape.size() - 1);
        }
        if (escape.size() == 2 && !is_ascii_letter(c)) {
            return {Escape::Kind::Literal, c, 0};
        }
        throw source_.error("bad escape " + utf8(escape), escape.size());
    }

    void on_escape(const std::u32string& token, std::size_t item_start) {
        const Escape e = parse_escape(token);
        const int flags = top().flags;
        const bool ascii = (flags & flag_ascii) != 0;
        switch (e.kind) {
        case Escape::Kind::Literal:
            emit_literal(e.value);
            append_item(Last::Item, {1, 1}, item_start);
            return;
        case Escape::Kind::Category:
            emit_set({SetItem{SetItem::Kind::Category, e.value, e.value}}, false);
            append_item(Last::Item, {1, 1}, item_start);
            return;
        case Escape::Kind::GroupRef: {
            const bool ascii_caseless = ascii && (flags & flag_ignorecase) != 0;
            out_ += ascii_caseless ? "(?i:\\g{" : "\\g{";
            out_ += std::to_string(e.group);
            out_ += ascii_caseless ? "})" : "}";
            append_item(Last::Item, *group_widths_[e.group], item_start);
            return;
        }
        case Escape::Kind::Anchor:
            emit_anchor(e.value, ascii);
            append_item(Last::Anchor, {}, item_start);
            return;
        }
    }

    void emit_anchor(char32_t which, bool ascii) {
        // Python's \b and \B see no boundary in an empty string; PCRE2's \B sees one.
        static constexpr std::string_view word = "[0-9A-Z_a-z]";
        switch (which) {
        case U'A':
            out_ += "\\A";
            return;
        case U'Z':
            out_ += "\\z";
            return;
        case U'b':
            if (!ascii) {
                out_ += "\\b";
                return;
            }
            out_ += "(?:(?<=";
            out_ += word;
            out_ += ")(?!";
            out_ += word;
            out_ += ")|(?<!";
            out_ += word;
            out_ += ")(?=";
            out_ += word;
            out_ += "))";
            return;
        default: // 'B'
            out_ += "(?!\\A\\z)";
            if (!ascii) {
                out_ += "\\B";
                return;
            }
            out_ += "(?:(?<=";
            out_ += word;
            out_ += ")(?=";
            out_ += word;
            out_ += ")|(?<!";
            out_ += word;
            out_ += ")(?!";
            out_ += word;
            out_ += "))";
            return;
        }
    }

    // re._parser._parse's set branch.
    void on_set(std::size_t item_start) {
        const std::size_t here = source_.tell() - 1;
        std::vector<SetItem> set;
        const bool negate = source_.match(U'^');
        while (true) {
            const std::u32string this_token(source_.get());
            if (this_token.empty()) {
                throw source_.error("unterminated character set", source_.tell() - here);
            }
            if (this_token == U"]" && !set.empty()) {
                break;
            }
            const SetItem code1 = this_token[0] == U'\\' ? class_escape(this_token)
                                                         : SetItem{SetItem::Kind::Literal,
                                                                   this_token[0], this_token[0]};
            if (!source_.match(U'-')) {
                set.push_back(code1);
                continue;
            }
            const std::u32string that(source_.get());
            if (that.empty()) {
                throw source_.error("unterminated character set", source_.tell() - here);
            }
            if (that == U"]") {
                set.push_back(code1);
                set.push_back({SetItem::Kind::Literal, U'-', U'-'});
                break;
            }
            const SetItem code2 = that[0] == U'\\'
                                      ? class_escape(that)
                                      : SetItem{SetItem::Kind::Literal, that[0], that[0]};
            if (code1.kind != SetItem::Kind::Literal || code2.kind != SetItem::Kind::Literal ||
                code2.lo < code1.lo) {
                throw source_.error("bad character range " + utf8(this_token) + "-" + utf8(that),
                                    this_token.size() + 1 + that.size());
            }
            set.push_back({SetItem::Kind::Range, code1.lo, code2.lo});
        }
        emit_set(set, negate);
        append_item(Last::Item, {1, 1}, item_start);
    }

    void emit_set(const std::vector<SetItem>& set, bool negate) {
        const int flags = top().flags;
        const bool ascii = (flags & flag_ascii) != 0;
        const bool ascii_caseless = ascii && (flags & flag_ignorecase) != 0;
        std::string body;
        bool any = false;
        const auto add_ranges = [&](const Ranges& ranges) {
            for (const auto& [lo, hi] : ranges) {
                any = append_class_range(body, lo, hi) || any;
            }
        };
        for (const auto& item : set) {
            if (item.kind != SetItem::Kind::Category) {
                Ranges ranges{{item.lo, item.hi}};
                if (ascii_caseless) {
                    // The other case of the ASCII letters in the range, as ASCII IGNORECASE
                    // folds them (and nothing else).
                    const auto other_case = [&](char32_t from, char32_t to, char32_t shift_to) {
                        const char32_t lo = std::max(item.lo, from);
                        const char32_t hi = std::min(item.hi, to);
                        if (lo <= hi) {
                            ranges.emplace_back(lo - from + shift_to, hi - from + shift_to);
                        }
                    };
                    other_case(U'a', U'z', U'A');
                    other_case(U'A', U'Z', U'a');
                } else if (unicode_caseless(flags)) {
                    for (const auto& group : python_case_groups) {
                        if (std::any_of(group.begin(), group.end(), [&](char32_t member) {
                                return member != 0 && member >= item.lo && member <= item.hi;
                            })) {
                            for (const char32_t member : group) {
                                if (member != 0) {
                                    ranges.emplace_back(member, member);
                                }
                            }
                        }
                    }
                }
                add_ranges(ranges);
                continue;
            }
            // Unicode \d and \w are PCRE2's UCP ones (10.42: \p{Nd}; \p{L}, \p{N} and '_', as
            // Python's isdecimal() and isalnum()); everything else is spelt out.
            const char32_t category = item.lo;
            const bool negated = category == U'D' || category == U'W' || category == U'S';
            const char32_t positive = category | 0x20;
            if (!ascii && positive != U's') {
                body += negated ? (positive == U'd' ? "\\D" : "\\W")
                                : (positive == U'd' ? "\\d" : "\\w");
                any = true;
                continue;
            }
            const Ranges& ranges = positive == U'd'   ? ascii_digits()
                                   : positive == U'w' ? ascii_word()
                                   : ascii            ? ascii_whitespace()
                                                      : python_whitespace();
            add_ranges(negated ? complement(ranges) : ranges);
        }
        if (!any) { // only surrogates: nothing (or, negated, everything) can match
            out_ += negate ? std::string_view("(?s:.)") : never_matches;
            return;
        }
        out_ += negate ? "[^" : "[";
        out_ += body;
        out_ += ']';
    }

    // ---- repeats ----

    void on_repeat(char32_t c, std::size_t item_start) {
        const std::size_t here = source_.tell();
        std::uint64_t min = 0;
        std::uint64_t max = python_maxrepeat;
        if (c == U'?') {
            max = 1;
        } else if (c == U'+') {
            min = 1;
        } else if (c == U'{') {
            if (source_.next_is(U'}')) {
                emit_literal(c);
                append_item(Last::Item, {1, 1}, item_start);
                return;
            }
            const std::u32string lo = source_.getwhile(SIZE_MAX, is_ascii_digit);
            std::u32string hi;
            if (source_.match(U',')) {
                hi = source_.getwhile(SIZE_MAX, is_ascii_digit);
            } else {
                hi = lo;
            }
            if (!source_.match(U'}')) {
                emit_literal(c);
                append_item(Last::Item, {1, 1}, item_start);
                source_.seek(here);
                return;
            }
            if (!lo.empty()) {
                min = repeat_count(lo);
            }
            if (!hi.empty()) {
                max = repeat_count(hi);
                if (max < min) {
                    throw source_.error("min repeat greater than max repeat",
                                        source_.tell() - here);
                }
            }
        }
        Frame& f = top();
        const std::size_t offset = source_.tell() - here + 1;
        if (f.last == Last::Nothing || f.last == Last::Anchor) {
            throw source_.error("nothing to repeat", offset);
        }
        if (f.last == Last::Repeat) {
            throw source_.error("multiple repeat", offset);
        }
        std::string_view kind = "MAX_REPEAT";
        std::string_view suffix;
        if (source_.match(U'?')) {
            kind = "MIN_REPEAT";
            suffix = "?";
        } else if (source_.match(U'+')) {
            kind = "POSSESSIVE_REPEAT";
            suffix = "+";
        }
        if ((f.flags & flag_template) != 0) {
            compile_problem(f.last_start, 0,
                            "internal: unsupported template operator " + std::string(kind));
        }
        for (const std::uint64_t count : {min, max}) {
            if (count != python_maxrepeat && count > PythonRegex::max_repeat_count) {
                limit_problem("repeat count " + std::to_string(count) +
                              " is above the name server's limit of " +
                              std::to_string(PythonRegex::max_repeat_count));
            }
        }
        if (min == 0 && max == python_maxrepeat) {
            out_ += '*';
        } else if (min == 1 && max == python_maxrepeat) {
            out_ += '+';
        } else if (min == 0 && max == 1) {
            out_ += '?';
        } else {
            out_ += '{';
            out_ += std::to_string(min);
            if (max != min) {
                out_ += ',';
                out_ += max == python_maxrepeat ? std::string() : std::to_string(max);
            }
            out_ += '}';
        }
        out_ += suffix;
        const Width item = capped(f.last_width);
        f.last_width = {width_mul(item.lo, min), width_mul(item.hi, max)};
        f.last = Last::Repeat;
    }

    // int(digits), or OverflowError as Python raises it at MAXREPEAT.
    static std::uint64_t repeat_count(std::u32string_view digits) {
        std::uint64_t value = 0;
        for (const char32_t d : digits) {
            value = value * 10 + (d - U'0');
            if (value >= python_maxrepeat) {
                throw RemoteError("builtins.OverflowError", "the repetition number is too large");
            }
        }
        return value;
    }

    // ---- groups ----

    bool group_closed(std::size_t gid) const {
        return gid < group_widths_.size() && group_widths_[gid].has_value();
    }

    void check_lookbehind_group(std::size_t gid) {
        if (lookbehind_groups_) {
            if (!group_closed(gid)) {
                throw source_.error("cannot refer to an open group");
            }
            if (gid >= *lookbehind_groups_) {
                throw source_.error(
                    "cannot refer to group defined in the same lookbehind subpattern");
            }
        }
    }

    void check_group_name(std::u32string_view name, std::size_t offset) {
        if (!is_identifier(name)) {
            throw source_.error("bad character in group name " + python_repr(name),
                                name.size() + offset);
        }
    }

    Frame child(Construct construct, std::size_t start, int flags, bool verbose) {
        const Frame& parent = top();
        Frame f;
        f.construct = construct;
        f.start = start;
        f.flags = flags;
        f.verbose = verbose;
        f.caseless = parent.caseless;
        return f;
    }

    void push(Frame f) {
        frames_.push_back(std::move(f));
        const std::size_t depth = frames_.size() - 1;
        if (depth > PythonRegex::max_nesting) {
            const std::string problem = "parentheses nested " + std::to_string(depth) +
                                        " deep, above the name server's limit of " +
                                        std::to_string(PythonRegex::max_nesting);
            if (depth > nesting_hard_stop) {
                throw LimitError{problem};
            }
            limit_problem(problem);
        }
    }

    // re._parser._parse's '(' branch.
    void on_open(std::size_t start) {
        const Frame& parent = top();
        const bool verbose = parent.verbose;
        int flags = parent.flags;
        std::optional<std::u32string> name;
        Construct construct = Construct::Group;
        bool capture = true;
        int add_flags = 0;
        int del_flags = 0;
        if (source_.match(U'?')) {
            const std::u32string c(source_.get());
            if (c.empty()) {
                throw source_.error("unexpected end of pattern");
            }
            if (c == U"P") {
                if (source_.match(U'<')) {
                    name = source_.getuntil(U'>', "group name");
                    check_group_name(*name, 1);
                } else if (source_.match(U'=')) {
                    const std::u32string ref = source_.getuntil(U')', "group name");
                    check_group_name(ref, 1);
                    const auto found = group_names_.find(ref);
                    if (found == group_names_.end()) {
                        throw source_.error("unknown group name " + python_repr(ref),
                                            ref.size() + 1);
                    }
                    if (!group_closed(found->second)) {
                        throw source_.error("cannot refer to an open group", ref.size() + 1);
                    }
                    check_lookbehind_group(found->second);
                    on_group_reference(found->second, start);
                    return;
                } else {
                    const std::u32string next(source_.get());
                    if (next.empty()) {
                        throw source_.error("unexpected end of pattern");
                    }
                    throw source_.error("unknown extension ?P" + utf8(next), next.size() + 2);
                }
            } else if (c == U":") {
                capture = false;
            } else if (c == U"#") {
                while (true) {
                    if (source_.at_end()) {
                        throw source_.error("missing ), unterminated comment",
                                            source_.tell() - start);
                    }
                    if (source_.get() == U")") {
                        break;
                    }
                }
                return;
            } else if (c == U"=" || c == U"!" || c == U"<") {
                on_lookaround(c, start);
                return;
            } else if (c == U"(") {
                on_conditional(start);
                return;
            } else if (c == U">") {
                capture = false;
                construct = Construct::Atomic;
            } else if (flag_of(c) || c == U"-") {
                const auto scoped = parse_flags(c);
                if (!scoped) {
                    const Frame& f = top();
                    if (f.construct != Construct::Top || !f.first_branch || !f.branch_empty) {
                        throw source_.error("global flags not at the start of the expression",
                                            source_.tell() - start);
                    }
                    Frame& t = top();
                    t.flags = state_flags_;
                    t.verbose = (state_flags_ & flag_verbose) != 0;
                    t.caseless = unicode_caseless(state_flags_);
                    return;
                }
                add_flags = scoped->first;
                del_flags = scoped->second;
                capture = false;
                flags = combine_flags(flags, add_flags, del_flags);
            } else {
                throw source_.error("unknown extension ?" + utf8(c), c.size() + 1);
            }
        }
        std::optional<std::size_t> group;
        if (capture) {
            group = group_widths_.size();
            group_widths_.emplace_back();
            if (name) {
                const auto [it, added] = group_names_.emplace(*name, *group);
                if (!added) {
                    throw source_.error("redefinition of group name " + python_repr(*name) +
                                            " as group " + std::to_string(*group) + "; was group " +
                                            std::to_string(it->second),
                                        name->size() + 1);
                }
            }
        }
        const bool sub_verbose =
            (verbose || (add_flags & flag_verbose) != 0) && (del_flags & flag_verbose) == 0;
        Frame f = child(construct, start, flags, sub_verbose);
        f.group = group;
        const bool caseless = unicode_caseless(flags);
        if (construct == Construct::Atomic) {
            out_ += "(?>";
        } else if (capture) {
            out_ += '(';
        } else if (caseless != f.caseless) {
            out_ += caseless ? "(?i:" : "(?-i:";
        } else {
            out_ += "(?:";
        }
        f.caseless = caseless;
        push(std::move(f));
    }

    static bool unicode_caseless(int flags) {
        return (flags & flag_ignorecase) != 0 && (flags & flag_ascii) == 0;
    }

    void on_group_reference(std::size_t gid, std::size_t start) {
        const int flags = top().flags;
        const bool ascii_caseless = (flags & flag_ascii) != 0 && (flags & flag_ignorecase) != 0;
        out_ += ascii_caseless ? "(?i:\\g{" : "\\g{";
        out_ += std::to_string(gid);
        out_ += ascii_caseless ? "})" : "}";
        append_item(Last::Item, *group_widths_[gid], start);
    }

    void on_lookaround(std::u32string c, std::size_t start) {
        bool behind = false;
        if (c == U"<") {
            c = source_.get();
            if (c.empty()) {
                throw source_.error("unexpected end of pattern");
            }
            if (c != U"=" && c != U"!") {
                throw source_.error("unknown extension ?<" + utf8(c), c.size() + 2);
            }
            behind = true;
        }
        const Frame& parent = top();
        Frame f = child(behind ? Construct::LookBehind : Construct::LookAhead, start, parent.flags,
                        parent.verbose);
        f.negative = c == U"!";
        if (behind && !lookbehind_groups_) {
            lookbehind_groups_ = group_widths_.size();
            f.resets_lookbehind = true;
        }
        out_ += behind ? (f.negative ? "(?<!" : "(?<=") : (f.negative ? "(?!" : "(?=");
        push(std::move(f));
    }

    // Python's int() of a conditional group "name" that is not an identifier: ASCII digits,
    // single underscores between them, surrounding whitespace, a sign.
    static std::optional<std::string> python_int(std::u32string_view text) {
        const auto space = [](char32_t c) { return c == U' ' || (c >= 9 && c <= 13); };
        while (!text.empty() && space(text.front())) {
            text.remove_prefix(1);
        }
        while (!text.empty() && space(text.back())) {
            text.remove_suffix(1);
        }
        std::string sign;
        if (!text.empty() && (text[0] == U'+' || text[0] == U'-')) {
            sign = text[0] == U'-' ? "-" : "";
            text.remove_prefix(1);
        }
        if (text.empty() || !is_ascii_digit(text.front()) || !is_ascii_digit(text.back())) {
            return std::nullopt;
        }
        std::string digits;
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] == U'_' && is_ascii_digit(text[i + 1]) && is_ascii_digit(text[i - 1])) {
                continue;
            }
            if (!is_ascii_digit(text[i])) {
                return std::nullopt;
            }
            digits += static_cast<char>(text[i]);
        }
        const auto first = digits.find_first_not_of('0');
        digits = first == std::string::npos ? "0" : digits.substr(first);
        return digits == "0" ? digits : sign + digits;
    }

    void on_conditional(std::size_t start) {
        const std::u32string condname = source_.getuntil(U')', "group name");
        std::size_t condgroup = 0;
        if (is_identifier(condname)) {
            const auto found = group_names_.find(condname);
            if (found == group_names_.end()) {
                throw source_.error("unknown group name " + python_repr(condname),
                                    condname.size() + 1);
            }
            condgroup = found->second;
        } else {
            const auto number = python_int(condname);
            if (!number || number->starts_with('-')) {
                throw source_.error("bad character in group name " + python_repr(condname),
                                    condname.size() + 1);
            }
            if (*number == "0") {
                throw source_.error("bad group number", condname.size() + 1);
            }
            if (number->size() > 10 || std::stoull(*number) >= python_maxgroups) {
                throw source_.error("invalid group reference " + *number, condname.size() + 1);
            }
            condgroup = static_cast<std::size_t>(std::stoull(*number));
            if (groupref_seen_.insert(condgroup).second) {
                groupref_positions_.emplace_back(condgroup, source_.tell() - condname.size() - 1);
            }
        }
        check_lookbehind_group(condgroup);
        const Frame& parent = top();
        Frame f = child(Construct::Conditional, start, parent.flags, parent.verbose);
        out_ += "(?(" + std::to_string(condgroup) + ")";
        push(std::move(f));
    }

    // re._parser._parse_flags: nullopt for global flags ("(?i)"), else (added, removed).
    std::optional<std::pair<int, int>> parse_flags(std::u32string c) {
        int add_flags = 0;
        int del_flags = 0;
        if (c != U"-") {
            while (true) {
                const int flag = *flag_of(c);
                if (c == U"L") {
                    throw source_.error("bad inline flags: cannot use 'L' flag with a str pattern");
                }
                add_flags |= flag;
                if ((flag & type_flags) != 0 && (add_flags & type_flags) != flag) {
                    throw source_.error(
                        "bad inline flags: flags 'a', 'u' and 'L' are incompatible");
                }
                c = source_.get();
                if (c.empty()) {
                    throw source_.error("missing -, : or )");
                }
                if (c == U")" || c == U"-" || c == U":") {
                    break;
                }
                if (!flag_of(c)) {
                    throw source_.error(is_alpha_token(c) ? "unknown flag" : "missing -, : or )",
                                        c.size());
                }
            }
        }
        if (c == U")") {
            state_flags_ |= add_flags;
            return std::nullopt;
        }
        if ((add_flags & global_flags) != 0) {
            throw source_.error("bad inline flags: cannot turn on global flag", 1);
        }
        if (c == U"-") {
            c = source_.get();
            if (c.empty()) {
                throw source_.error("missing flag");
            }
            if (!flag_of(c)) {
                throw source_.error(is_alpha_token(c) ? "unknown flag" : "missing flag", c.size());
            }
            while (true) {
                const int flag = *flag_of(c);
                if ((flag & type_flags) != 0) {
                    throw source_.error("bad inline flags: cannot turn off flags 'a', 'u' and 'L'");
                }
                del_flags |= flag;
                c = source_.get();
                if (c.empty()) {
                    throw source_.error("missing :");
                }
                if (c == U":") {
                    break;
                }
                if (!flag_of(c)) {
                    throw source_.error(is_alpha_token(c) ? "unknown flag" : "missing :", c.size());
                }
            }
        }
        if ((del_flags & global_flags) != 0) {
            throw source_.error("bad inline flags: cannot turn off global flag", 1);
        }
        if ((add_flags & del_flags) != 0) {
            throw source_.error("bad inline flags: flag turned on and off", 1);
        }
        return std::pair{add_flags, del_flags};
    }

    // ---- after the parse (re._parser.parse, then re._compiler) ----

    Translation finish() {
        if ((state_flags_ & flag_ascii) != 0 && (state_flags_ & flag_unicode) != 0) {
            throw RemoteError("builtins.ValueError", "ASCII and UNICODE flags are incompatible");
        }
        if (!source_.at_end()) {
            throw source_.error("unbalanced parenthesis");
        }
        for (const auto& [group, position] : groupref_positions_) {
            if (group >= group_widths_.size()) {
                throw PatternError{"invalid group reference " + std::to_string(group), position};
            }
        }
        if (compile_problem_) {
            throw PatternError{compile_problem_->message, std::nullopt};
        }
        if (limit_problem_) {
            throw LimitError{*limit_problem_};
        }
        return Translation{std::move(out_), unicode_caseless(state_flags_)};
    }

    // Errors re's compiler raises after a successful parse; it walks the tree in order, so the
    // one whose construct starts first (the outer one on a tie) is Python's.
    void compile_problem(std::size_t position, int rank, std::string message) {
        if (!compile_problem_ || std::pair(position, rank) < std::pair(compile_problem_->position,
                                                                       compile_problem_->rank)) {
            compile_problem_ = CompileProblem{position, rank, std::move(message)};
        }
    }

    // The first limit the pattern exceeds, reported only if Python finds nothing wrong with it.
    void limit_problem(std::string message) {
        if (!limit_problem_) {
            limit_problem_ = std::move(message);
        }
    }

    struct CompileProblem {
        std::size_t position;
        int rank;
        std::string message;
    };

    Tokenizer source_;
    std::vector<Frame> frames_;
    std::string out_;
    int state_flags_ = 0;
    std::vector<std::optional<Width>> group_widths_{std::nullopt}; // group 0
    std::map<std::u32string, std::size_t> group_names_;
    std::optional<std::size_t> lookbehind_groups_;
    std::vector<std::pair<std::size_t, std::size_t>> groupref_positions_;
    std::unordered_set<std::size_t> groupref_seen_;
    std::optional<CompileProblem> compile_problem_;
    std::optional<std::string> limit_problem_;
};

// ---- PCRE2 resources ----------------------------------------------------------------------

struct CodeFree {
    void operator()(pcre2_code* code) const { pcre2_code_free(code); }
};
struct CompileContextFree {
    void operator()(pcre2_compile_context* context) const { pcre2_compile_context_free(context); }
};
struct MatchContextFree {
    void operator()(pcre2_match_context* context) const { pcre2_match_context_free(context); }
};
struct MatchDataFree {
    void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
};
struct JitStackFree {
    void operator()(pcre2_jit_stack* stack) const { pcre2_jit_stack_free(stack); }
};

std::string pcre2_message(int code) {
    std::array<PCRE2_UCHAR, 256> buffer{};
    const int length = pcre2_get_error_message(code, buffer.data(), buffer.size());
    if (length < 0) {
        return "error " + std::to_string(code);
    }
    return std::string(reinterpret_cast<const char*>(buffer.data()),
                       static_cast<std::size_t>(length));
}

// One JIT stack per thread: PCRE2 forbids two threads matching on one stack at once, and making
// one per match would cost an mmap for every name. Null (allocation failed) makes PCRE2 use its
// small default stack, which fails cleanly with JIT_STACKLIMIT.
pcre2_jit_stack* thread_jit_stack(void*) {
    thread_local const std::unique_ptr<pcre2_jit_stack, JitStackFree> stack(pcre2_jit_stack_create(
        32 * 1024, std::size_t{PythonRegex::jit_stack_limit_kib} * 1024, nullptr));
    return stack.get();
}

// The name as a limit error shows it: at most 40 characters.
std::string shown_name(std::string_view name) {
    constexpr std::size_t shown = 40;
    const auto decoded = decode_utf8(name);
    if (!decoded || decoded->size() <= shown) {
        return Value(std::string(name)).repr();
    }
    return python_repr(decoded->substr(0, shown) + U"\u2026");
}

} // namespace

struct PythonRegex::Compiled {
    std::string translated;
    std::unique_ptr<pcre2_code, CodeFree> code;
    std::unique_ptr<pcre2_match_context, MatchContextFree> context;
};

PythonRegex::PythonRegex(std::string_view pattern) {
    const auto decoded = decode_utf8(pattern);
    if (!decoded) {
        throw NamingError("invalid regex: the pattern is not valid UTF-8");
    }
    Translation translation;
    try {
        translation = Translator(*decoded).run();
    } catch (const PatternError& error) {
        throw NamingError("invalid regex: " + python_error_text(error, *decoded));
    } catch (const LimitError& error) {
        throw NamingError("invalid regex: " + error.message);
    }

    auto compiled = std::make_unique<Compiled>();
    compiled->translated = std::move(translation.pcre2);
    const std::unique_ptr<pcre2_compile_context, CompileContextFree> compile_context(
        pcre2_compile_context_create(nullptr));
    compiled->context.reset(pcre2_match_context_create(nullptr));
    if (!compile_context || !compiled->context) {
        throw std::bad_alloc();
    }
    pcre2_set_newline(compile_context.get(), PCRE2_NEWLINE_LF);
    // re.match(): anchored at the start; UTF + UCP: str semantics for \w \d \b and IGNORECASE.
    const std::uint32_t options = PCRE2_UTF | PCRE2_UCP | PCRE2_ANCHORED | PCRE2_NEVER_BACKSLASH_C |
                                  (translation.caseless ? PCRE2_CASELESS : 0U);
    int error_code = 0;
    PCRE2_SIZE error_offset = 0;
    compiled->code.reset(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(compiled->translated.data()),
                                       compiled->translated.size(), options, &error_code,
                                       &error_offset, compile_context.get()));
    if (!compiled->code) {
        if (error_code == PCRE2_ERROR_PATTERN_TOO_LARGE) {
            throw NamingError("invalid regex: the pattern is above the name server's size limit "
                              "(PCRE2: " +
                              pcre2_message(error_code) + ")");
        }
        throw NamingError("invalid regex: the name server's regex engine cannot hold this "
                          "pattern (PCRE2: " +
                          pcre2_message(error_code) + ")");
    }
    // JIT where this PCRE2 has it; the interpreter (under the same limits) otherwise.
    (void)pcre2_jit_compile(compiled->code.get(), PCRE2_JIT_COMPLETE);
    pcre2_set_match_limit(compiled->context.get(), match_limit);
    pcre2_set_depth_limit(compiled->context.get(), depth_limit);
    pcre2_set_heap_limit(compiled->context.get(), heap_limit_kib);
    pcre2_jit_stack_assign(compiled->context.get(), thread_jit_stack, nullptr);
    compiled_ = std::move(compiled);
}

PythonRegex::~PythonRegex() = default;
PythonRegex::PythonRegex(PythonRegex&&) noexcept = default;
PythonRegex& PythonRegex::operator=(PythonRegex&&) noexcept = default;

const std::string& PythonRegex::translated() const {
    return compiled_->translated;
}

bool PythonRegex::match(std::string_view name) const {
    const std::unique_ptr<pcre2_match_data, MatchDataFree> data(
        pcre2_match_data_create(1, nullptr));
    if (!data) {
        throw std::bad_alloc();
    }
    static constexpr char empty[] = "";
    const char* subject = name.empty() ? empty : name.data();
    const int rc = pcre2_match(compiled_->code.get(), reinterpret_cast<PCRE2_SPTR>(subject),
                               name.size(), 0, 0, data.get(), compiled_->context.get());
    if (rc >= 0) {
        return true;
    }
    if (rc == PCRE2_ERROR_NOMATCH ||
        (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21)) {
        return false;
    }
    const std::string where = " reached on name " + shown_name(name);
    switch (rc) {
    case PCRE2_ERROR_MATCHLIMIT:
        throw NamingError("regex too costly: match limit of " + std::to_string(match_limit) +
                          where);
    case PCRE2_ERROR_DEPTHLIMIT:
        throw NamingError("regex too costly: depth limit of " + std::to_string(depth_limit) +
                          where);
    case PCRE2_ERROR_HEAPLIMIT:
        throw NamingError("regex too costly: heap limit of " + std::to_string(heap_limit_kib) +
                          " KiB" + where);
    case PCRE2_ERROR_JIT_STACKLIMIT:
        throw NamingError("regex too costly: JIT stack limit of " +
                          std::to_string(jit_stack_limit_kib) + " KiB" + where);
    default:
        throw NamingError("regex failed on name " + shown_name(name) +
                          " (PCRE2: " + pcre2_message(rc) + ")");
    }
}

} // namespace pyro::ns
