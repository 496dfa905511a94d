#include "nameserver/registry.hpp"

#include <algorithm>

#include "nameserver/storage.hpp"
#include "pyro/errors.hpp"
#include "pyro/uri.hpp"
#include "pyro/value.hpp"

namespace pyro::ns {

namespace {

// The body of a Python repeat "{m}", "{m,}", "{,n}" or "{m,n}" starting at pattern[open]; nullopt
// when that '{' is a literal (Python reads any other '{' as itself).
std::optional<std::string_view> repeat_body(std::string_view pattern, std::size_t open) {
    const auto close = pattern.find('}', open);
    if (close == std::string_view::npos) {
        return std::nullopt;
    }
    const auto body = pattern.substr(open + 1, close - open - 1);
    if (body.empty() || body == "," ||
        body.find_first_not_of("0123456789,") != std::string_view::npos ||
        std::count(body.begin(), body.end(), ',') > 1) {
        return std::nullopt;
    }
    return body;
}

// Python's re syntax that ECMAScript spells differently: (?P<name>…) groups, \A and \Z, literal
// braces, "{,n}", and leading inline flags ((?i) is honoured, the others are dropped). Anything
// else is passed on unchanged.
std::string translate_python_pattern(std::string_view pattern, bool& ignore_case) {
    std::string out;
    ignore_case = false;
    if (pattern.starts_with("(?")) {
        const auto close = pattern.find(')');
        const auto flags = pattern.substr(2, close == std::string_view::npos ? 0 : close - 2);
        if (!flags.empty() && flags.find_first_not_of("aiLmsux") == std::string_view::npos) {
            ignore_case = flags.find('i') != std::string_view::npos;
            pattern.remove_prefix(close + 1);
        }
    }
    bool in_class = false;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if (c == '\\' && i + 1 < pattern.size()) {
            const char next = pattern[i + 1];
            if (!in_class && next == 'A') {
                out += '^';
            } else if (!in_class && next == 'Z') {
                out += '$';
            } else {
                out += c;
                out += next;
            }
            ++i;
            continue;
        }
        if (in_class) {
            in_class = c != ']';
            out += c;
            continue;
        }
        if (c == '[') {
            in_class = true;
            out += c;
            // "[]]" and "[^]]": a ']' right after the opening is a literal in Python.
            if (i + 1 < pattern.size() && pattern[i + 1] == '^') {
                out += '^';
                ++i;
            }
            if (i + 1 < pattern.size() && pattern[i + 1] == ']') {
                out += "\\]";
                ++i;
            }
            continue;
        }
        if (c == '{') {
            if (const auto body = repeat_body(pattern, i)) {
                out += '{';
                out += body->starts_with(",") ? "0" : "";
                out += *body;
                out += '}';
                i += body->size() + 1;
            } else {
                out += "\\{";
            }
            continue;
        }
        if (c == '}') {
            out += "\\}";
            continue;
        }
        if (pattern.substr(i).starts_with("(?P<")) {
            const auto close = pattern.find('>', i);
            if (close != std::string_view::npos) {
                out += '(';
                i = close;
                continue;
            }
        }
        out += c;
    }
    return out;
}

// The mistakes students make most, found as Python's sre_parse finds them, with Python's wording
// and position ("missing ), unterminated subpattern at position 0"), so "invalid regex: …" reads
// the same from pyro-ns as from pyro4-ns.
std::optional<std::string> python_regex_problem(std::string_view pattern) {
    const auto at = [](std::string what, std::size_t position) {
        return what + " at position " + std::to_string(position);
    };
    std::vector<std::size_t> open_groups;
    // What the previous item was: nothing to repeat (start, after '(' or '|'), an atom, or a
    // quantifier (a second one is a "multiple repeat", except the lazy '?' and possessive '+').
    enum class Previous { Nothing, Atom, Quantifier, Modified } previous = Previous::Nothing;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if (c == '\\') {
            if (i + 1 == pattern.size()) {
                return at("bad escape (end of pattern)", i);
            }
            ++i;
            previous = Previous::Atom;
        } else if (c == '[') {
            std::size_t j = i + 1;
            if (j < pattern.size() && pattern[j] == '^') {
                ++j;
            }
            if (j < pattern.size() && pattern[j] == ']') {
                ++j; // a ']' first in the set is a literal
            }
            while (j < pattern.size() && pattern[j] != ']') {
                j += pattern[j] == '\\' ? 2 : 1;
            }
            if (j >= pattern.size()) {
                return at("unterminated character set", i);
            }
            i = j;
            previous = Previous::Atom;
        } else if (c == '(') {
            open_groups.push_back(i);
            previous = Previous::Nothing;
            if (i + 1 < pattern.size() && pattern[i + 1] == '?') {
                ++i; // (?:…, (?P<name>…, (?=… : the '?' is not a quantifier
            }
        } else if (c == ')') {
            if (open_groups.empty()) {
                return at("unbalanced parenthesis", i);
            }
            open_groups.pop_back();
            previous = Previous::Atom;
        } else if (c == '|' || c == '^' || c == '$') {
            previous = Previous::Nothing; // anchors cannot be repeated either
        } else if (c == '*' || c == '+' || c == '?' || c == '{') {
            const std::size_t start = i;
            if (c == '{') {
                const auto body = repeat_body(pattern, i);
                if (!body) {
                    previous = Previous::Atom;
                    continue;
                }
                i += body->size() + 1;
            }
            if (previous == Previous::Nothing) {
                return at("nothing to repeat", start);
            }
            if (previous == Previous::Quantifier && (c == '?' || c == '+')) {
                previous = Previous::Modified;
            } else if (previous == Previous::Quantifier || previous == Previous::Modified) {
                return at("multiple repeat", start);
            } else {
                previous = Previous::Quantifier;
            }
        } else {
            previous = Previous::Atom;
        }
    }
    if (!open_groups.empty()) {
        return at("missing ), unterminated subpattern", open_groups.back());
    }
    return std::nullopt;
}

// Python's wording for what std::regex refused and the check above did not catch.
std::string python_regex_error(const std::regex_error& error) {
    namespace rc = std::regex_constants;
    switch (error.code()) {
    case rc::error_paren:
        return "missing ), unterminated subpattern";
    case rc::error_brack:
        return "unterminated character set";
    case rc::error_escape:
        return "bad escape";
    case rc::error_backref:
        return "invalid group reference";
    case rc::error_range:
    case rc::error_ctype:
    case rc::error_collate:
        return "bad character range";
    case rc::error_brace:
    case rc::error_badbrace:
        return "bad repeat interval";
    case rc::error_badrepeat:
        return "nothing to repeat";
    default:
        return "pattern too complex";
    }
}

bool contains_tag(const Tags& tags, const std::string& tag) {
    return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

} // namespace

Tags unique_tags(const std::vector<std::string>& tags) {
    Tags out;
    for (const auto& tag : tags) {
        if (!contains_tag(out, tag)) {
            out.push_back(tag);
        }
    }
    return out;
}

PythonRegex::PythonRegex(std::string_view pattern) {
    if (const auto problem = python_regex_problem(pattern)) {
        throw NamingError("invalid regex: " + *problem);
    }
    try {
        bool ignore_case = false;
        const std::string translated = translate_python_pattern(pattern, ignore_case);
        regex_ = std::regex(translated, ignore_case ? std::regex::ECMAScript | std::regex::icase
                                                    : std::regex::ECMAScript);
    } catch (const std::regex_error& error) {
        throw NamingError("invalid regex: " + python_regex_error(error));
    }
}

bool PythonRegex::match(std::string_view name) const {
    try {
        return std::regex_search(name.begin(), name.end(), regex_,
                                 std::regex_constants::match_continuous);
    } catch (const std::regex_error& error) {
        throw NamingError("invalid regex: " + python_regex_error(error));
    }
}

Registry::Registry(std::unique_ptr<Storage> storage) : storage_(std::move(storage)) {}

Registry::~Registry() = default;

void Registry::validate_uri(std::string_view uri) {
    try {
        (void)Uri::parse(uri);
    } catch (const PyroError& error) {
        // libpyro appends the offending text; Pyro4's message (what a Python client prints) is
        // without it.
        std::string message = error.what();
        const std::string suffix = ": " + Value(uri).repr();
        if (message.ends_with(suffix)) {
            message.resize(message.size() - suffix.size());
        }
        throw PyroError(message);
    }
}

std::size_t Registry::count() const {
    const std::lock_guard lock(mutex_);
    return storage_->size();
}

Entry Registry::lookup(std::string_view name) const {
    const std::lock_guard lock(mutex_);
    auto entry = storage_->get(name);
    if (!entry) {
        throw NamingError("unknown name: " + std::string(name));
    }
    return std::move(*entry);
}

void Registry::register_name(std::string_view name, std::string_view uri, bool safe,
                             const Tags& metadata) {
    validate_uri(uri);
    const std::lock_guard lock(mutex_);
    if (safe && storage_->contains(name)) {
        throw NamingError("name already registered: " + std::string(name));
    }
    storage_->set(name, Entry{std::string(uri), unique_tags(metadata)});
}

void Registry::set_metadata(std::string_view name, const Tags& metadata) {
    const std::lock_guard lock(mutex_);
    auto entry = storage_->get(name);
    if (!entry) {
        throw NamingError("unknown name: " + std::string(name));
    }
    entry->metadata = unique_tags(metadata);
    storage_->set(name, *entry);
}

int Registry::remove(const std::optional<std::string>& name,
                     const std::optional<std::string>& prefix,
                     const std::optional<std::string>& regex) {
    const std::lock_guard lock(mutex_);
    if (name && !name->empty() && *name != name_server_name && storage_->contains(*name)) {
        storage_->erase(*name);
        return 1;
    }
    const auto remove_listed = [this](const ListFilter& query) {
        std::vector<std::string> names;
        for (const auto& row : list_locked(query)) {
            if (row.name != name_server_name) {
                names.push_back(row.name);
            }
        }
        storage_->remove_items(names);
        return static_cast<int>(names.size());
    };
    if (prefix && !prefix->empty()) {
        ListFilter query;
        query.prefix = prefix;
        return remove_listed(query);
    }
    if (regex && !regex->empty()) {
        ListFilter query;
        query.regex = regex;
        return remove_listed(query);
    }
    return 0;
}

Listing Registry::list(const ListFilter& query) const {
    const std::lock_guard lock(mutex_);
    return list_locked(query);
}

Listing Registry::list_locked(const ListFilter& query) const {
    const int filters = int{query.prefix.has_value()} + int{query.regex.has_value()} +
                        int{query.metadata_all.has_value()} + int{query.metadata_any.has_value()};
    if (filters > 1) {
        throw RemoteError("builtins.ValueError", "you can only filter on one thing at a time");
    }
    const auto scan_names = [this](const auto& keep) {
        Listing out;
        for (const auto& name : storage_->names()) {
            if (keep(name)) {
                if (auto entry = storage_->get(name)) {
                    out.push_back({name, std::move(entry->uri), std::move(entry->metadata)});
                }
            }
        }
        return out;
    };
    if (query.prefix && !query.prefix->empty()) {
        if (auto found = storage_->prefix_list(*query.prefix)) {
            return std::move(*found);
        }
        const std::string& prefix = *query.prefix;
        return scan_names([&](const std::string& name) { return name.starts_with(prefix); });
    }
    if (query.regex && !query.regex->empty()) {
        if (auto found = storage_->regex_list(*query.regex)) {
            return std::move(*found);
        }
        const PythonRegex regex(*query.regex);
        return scan_names([&](const std::string& name) { return regex.match(name); });
    }
    if (query.metadata_all && !query.metadata_all->empty()) {
        if (auto found = storage_->metadata_search(&*query.metadata_all, nullptr)) {
            return std::move(*found);
        }
        const Tags wanted = unique_tags(*query.metadata_all);
        Listing out;
        for (auto& row : storage_->everything()) {
            if (std::all_of(wanted.begin(), wanted.end(),
                            [&](const auto& tag) { return contains_tag(row.metadata, tag); })) {
                out.push_back(std::move(row));
            }
        }
        return out;
    }
    if (query.metadata_any && !query.metadata_any->empty()) {
        if (auto found = storage_->metadata_search(nullptr, &*query.metadata_any)) {
            return std::move(*found);
        }
        const Tags& wanted = *query.metadata_any;
        Listing out;
        for (auto& row : storage_->everything()) {
            if (std::any_of(wanted.begin(), wanted.end(),
                            [&](const auto& tag) { return contains_tag(row.metadata, tag); })) {
                out.push_back(std::move(row));
            }
        }
        return out;
    }
    return storage_->everything();
}

} // namespace pyro::ns
