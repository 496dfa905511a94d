// Pyro4's DbmStorage on Python's dbm.dumb format (PYRO4-WIRE.md §10.2), the one dbm format a
// C++ program can share with pyro4-ns: Python's dbm.open() recognises an existing FILE.dat +
// FILE.dir pair as dbm.dumb whatever modules its build has.
//
//   FILE.dat  the values (URI strings, UTF-8), each starting at a multiple of 512 bytes
//   FILE.dir  the index, Latin-1 text, one line per key: repr(key), (offset, size)
//   FILE.bak  the previous FILE.dir
//
// Updates follow dbm.dumb: a value that still fits in its blocks is overwritten in place, a
// bigger one is appended. The index is rewritten after every change (to a temporary file, then
// renamed), so the files are consistent whenever the process dies.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <sys/stat.h>

#include "nameserver/dbm_storage.hpp"
#include "nameserver/storage.hpp"
#include "pyro/errors.hpp"
#include "pyro/serializer.hpp"

namespace pyro::ns {

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t block_size = 512; // dbm.dumb's _BLOCKSIZE

struct DbmError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// repr() of the key decoded as Latin-1, written back as Latin-1: what dbm.dumb puts in FILE.dir.
std::string latin1_repr(std::string_view key) {
    std::string utf8;
    for (const char c : key) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x80) {
            utf8 += c;
        } else {
            utf8 += static_cast<char>(0xC0 | (byte >> 6));
            utf8 += static_cast<char>(0x80 | (byte & 0x3F));
        }
    }
    const std::string repr = Value(utf8).repr(); // Python's repr(), §6.3
    std::string latin1;
    for (std::size_t i = 0; i < repr.size(); ++i) {
        const auto byte = static_cast<unsigned char>(repr[i]);
        if (byte < 0x80) {
            latin1 += repr[i];
        } else {
            // Only two-byte sequences (U+0080..U+00FF) can occur here.
            latin1 += static_cast<char>(((byte & 0x1F) << 6) |
                                        (static_cast<unsigned char>(repr[i + 1]) & 0x3F));
            ++i;
        }
    }
    return latin1;
}

// Reads one FILE.dir line: a Python str literal (Latin-1 bytes), then ", (offset, size)".
struct IndexLine {
    std::string key;
    std::int64_t pos = 0;
    std::int64_t size = 0;
};

class LineParser {
public:
    explicit LineParser(std::string_view line) : text_(line) {}

    IndexLine parse() {
        IndexLine out;
        out.key = string_literal();
        expect(',');
        expect('(');
        out.pos = integer();
        expect(',');
        out.size = integer();
        expect(')');
        skip_space();
        if (pos_ != text_.size()) {
            fail();
        }
        return out;
    }

private:
    [[noreturn]] void fail() const {
        throw DbmError("malformed index line: " + std::string(text_));
    }
    void skip_space() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) {
            ++pos_;
        }
    }
    void expect(char c) {
        skip_space();
        if (pos_ >= text_.size() || text_[pos_] != c) {
            fail();
        }
        ++pos_;
    }
    std::int64_t integer() {
        skip_space();
        const std::size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
            ++pos_;
        }
        // 18 digits always fit in int64; longer ones (no real .dat is that big) would make
        // std::stoll throw out_of_range, which is no DbmError.
        if (start == pos_ || pos_ - start > 18) {
            fail();
        }
        return std::stoll(std::string(text_.substr(start, pos_ - start)));
    }
    // Exactly `digits` hex digits, as Python's \x, \u and \U escapes take them (std::stoul
    // would also take a sign or spaces, and throws invalid_argument on none).
    unsigned hex(std::size_t digits) {
        if (pos_ + digits > text_.size()) {
            fail();
        }
        unsigned value = 0; // at most 8 digits: fits
        for (std::size_t i = 0; i < digits; ++i) {
            const char c = text_[pos_++];
            const int digit = c >= '0' && c <= '9'                     ? c - '0'
                              : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                                       : -1;
            if (digit < 0) {
                fail();
            }
            value = value * 16 + static_cast<unsigned>(digit);
        }
        return value;
    }
    std::string string_literal() {
        skip_space();
        if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) {
            fail();
        }
        const char quote = text_[pos_++];
        std::string out;
        while (pos_ < text_.size() && text_[pos_] != quote) {
            char c = text_[pos_++];
            if (c != '\\') {
                out += c;
                continue;
            }
            if (pos_ >= text_.size()) {
                fail();
            }
            c = text_[pos_++];
            unsigned code = 0;
            switch (c) {
            case 'n':
                code = '\n';
                break;
            case 'r':
                code = '\r';
                break;
            case 't':
                code = '\t';
                break;
            case 'a':
                code = '\a';
                break;
            case 'b':
                code = '\b';
                break;
            case 'f':
                code = '\f';
                break;
            case 'v':
                code = '\v';
                break;
            case 'x':
                code = hex(2);
                break;
            case 'u':
                code = hex(4);
                break;
            case 'U':
                code = hex(8);
                break;
            default:
                if (c >= '0' && c <= '7') {
                    code = static_cast<unsigned>(c - '0');
                    for (int i = 0;
                         i < 2 && pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '7';
                         ++i) {
                        code = code * 8 + static_cast<unsigned>(text_[pos_++] - '0');
                    }
                } else {
                    code = static_cast<unsigned char>(c); // \\, \', \"
                }
            }
            if (code > 0xFF) {
                fail(); // the key is Latin-1: Python could not encode it either
            }
            out += static_cast<char>(code);
        }
        if (pos_ >= text_.size()) {
            fail();
        }
        ++pos_;
        return out;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

// The pure part of opening a database, apart so it can be fuzzed without files.
std::vector<DbmRecord> parse_index(std::string_view index, std::string_view data) {
    std::vector<DbmRecord> records;
    std::map<std::string, std::size_t, std::less<>> position;
    while (!index.empty()) {
        const auto end = index.find('\n');
        std::string_view line = index.substr(0, end);
        index.remove_prefix(end == std::string_view::npos ? index.size() : end + 1);
        while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
            line.remove_suffix(1);
        }
        if (line.empty()) {
            continue;
        }
        IndexLine parsed = LineParser(line).parse();
        // Compared without adding: pos + size may overflow int64.
        const auto available = static_cast<std::int64_t>(data.size());
        if (parsed.pos > available || parsed.size > available - parsed.pos) {
            throw DbmError("index entry beyond the end of the data file: " + std::string(line));
        }
        DbmRecord record{parsed.key, parsed.pos, parsed.size,
                         std::string(data.substr(static_cast<std::size_t>(parsed.pos),
                                                 static_cast<std::size_t>(parsed.size)))};
        const auto found = position.find(record.key);
        if (found != position.end()) {
            records[found->second] = std::move(record); // a later line wins, as in a dict
        } else {
            position.emplace(record.key, records.size());
            records.push_back(std::move(record));
        }
    }
    return records;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw DbmError("cannot read " + path.string());
    }
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

// Writes to a temporary file and renames it over `path`: readers see the old or the new file.
void replace_file(const fs::path& path, const std::string& content) {
    const fs::path temporary = path.string() + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out << content;
        out.flush();
        if (!out) {
            throw DbmError("cannot write " + temporary.string());
        }
    }
    ::chmod(temporary.c_str(), 0600);
    std::error_code error;
    fs::rename(temporary, path, error);
    if (error) {
        throw DbmError("cannot replace " + path.string() + ": " + error.message());
    }
}

class DbmStorage final : public Storage {
public:
    explicit DbmStorage(const std::string& file)
        : dat_(file + ".dat"), dir_(file + ".dir"), bak_(file + ".bak") {
        guard("open", [&] { open(file); });
    }

    std::optional<Entry> get(std::string_view name) override {
        const auto found = index_.find(std::string(name));
        if (found == index_.end()) {
            return std::nullopt;
        }
        return Entry{rows_[found->second].value, {}};
    }

    void set(std::string_view name, const Entry& entry) override {
        // Metadata is dropped, as in Pyro4 (which only logs a warning).
        guard("setitem", [&] {
            const std::string key(name);
            const auto found = index_.find(key);
            if (found == index_.end()) {
                const auto [pos, size] = append_value(entry.uri);
                index_.emplace(key, rows_.size());
                rows_.push_back({key, pos, size, entry.uri});
            } else {
                Row& row = rows_[found->second];
                const auto blocks = [](std::int64_t n) {
                    return (n + block_size - 1) / block_size;
                };
                const auto size = static_cast<std::int64_t>(entry.uri.size());
                if (blocks(size) <= blocks(row.size)) {
                    write_value(row.pos, entry.uri);
                } else {
                    row.pos = append_value(entry.uri).first;
                }
                row.size = size;
                row.value = entry.uri;
            }
            commit();
        });
    }

    bool contains(std::string_view name) override { return index_.contains(std::string(name)); }

    void erase(std::string_view name) override {
        guard("delitem", [&] {
            if (drop(name)) {
                commit();
            }
        });
    }

    std::size_t size() override { return rows_.size(); }

    std::vector<std::string> names() override {
        std::vector<std::string> out;
        for (const auto& row : rows_) {
            out.push_back(row.key);
        }
        return out;
    }

    Listing everything() override {
        Listing out;
        for (const auto& row : rows_) {
            out.push_back({row.key, row.value, {}});
        }
        return out;
    }

    void remove_items(const std::vector<std::string>& names) override {
        guard("remove_items", [&] {
            bool changed = false;
            for (const auto& name : names) {
                changed = drop(name) || changed;
            }
            if (changed) {
                commit();
            }
        });
    }

    std::optional<Listing> prefix_list(std::string_view prefix) override {
        Listing out;
        for (const auto& row : rows_) {
            if (row.key.starts_with(prefix)) {
                out.push_back({row.key, row.value, {}});
            }
        }
        return out;
    }

    std::optional<Listing> regex_list(std::string_view regex) override {
        // Pyro4's DbmStorage appends "$": a full match, unlike the other storages.
        const PythonRegex compiled(std::string(regex) + "$");
        Listing out;
        for (const auto& row : rows_) {
            if (compiled.match(row.key)) {
                out.push_back({row.key, row.value, {}});
            }
        }
        return out;
    }

    std::optional<Listing> metadata_search(const std::vector<std::string>* all,
                                           const std::vector<std::string>* any) override {
        if ((all != nullptr && !all->empty()) || (any != nullptr && !any->empty())) {
            throw NamingError("DbmStorage doesn't support metadata");
        }
        return everything();
    }

private:
    struct Row {
        std::string key;
        std::int64_t pos = 0;
        std::int64_t size = 0;
        std::string value;
    };

    template <class F>
    auto guard(const char* what, F&& body) -> decltype(body()) {
        try {
            return body();
        } catch (const DbmError& error) {
            throw NamingError(std::string("dbm error in ") + what + ": " + error.what());
        } catch (const fs::filesystem_error& error) {
            throw NamingError(std::string("dbm error in ") + what + ": " + error.what());
        }
    }

    void open(const std::string& file) {
        // Python's dbm.whichdb() order: another dbm module's files win over ours.
        for (const char* other : {".db", ".pag"}) {
            if (fs::exists(file + other)) {
                throw DbmError(file + other +
                               " is a dbm.ndbm (Berkeley DB) database, which pyro-ns cannot "
                               "read; use another file name or sql: storage");
            }
        }
        if (fs::is_regular_file(file)) {
            throw DbmError(file + " is not a dbm.dumb database (FILE.dat + FILE.dir)");
        }
        if (!fs::exists(dat_)) {
            replace_file(dat_, {});
        }
        if (!fs::exists(dir_)) {
            replace_file(dir_, {});
        }
        for (auto& record : parse_dbm_dumb(read_file(dir_), read_file(dat_))) {
            index_.emplace(record.key, rows_.size());
            rows_.push_back(
                {std::move(record.key), record.pos, record.size, std::move(record.value)});
        }
    }

    std::pair<std::int64_t, std::int64_t> append_value(const std::string& value) {
        std::fstream out(dat_, std::ios::binary | std::ios::in | std::ios::out);
        out.seekp(0, std::ios::end);
        const std::int64_t end = out.tellp();
        const std::int64_t pos = (end + block_size - 1) / block_size * block_size;
        out << std::string(static_cast<std::size_t>(pos - end), '\0') << value;
        out.flush();
        if (!out) {
            throw DbmError("cannot write " + dat_.string());
        }
        return {pos, static_cast<std::int64_t>(value.size())};
    }

    void write_value(std::int64_t pos, const std::string& value) {
        std::fstream out(dat_, std::ios::binary | std::ios::in | std::ios::out);
        out.seekp(pos);
        out << value;
        out.flush();
        if (!out) {
            throw DbmError("cannot write " + dat_.string());
        }
    }

    bool drop(std::string_view name) {
        const auto found = index_.find(std::string(name));
        if (found == index_.end()) {
            return false;
        }
        rows_.erase(rows_.begin() + static_cast<std::ptrdiff_t>(found->second));
        index_.clear();
        for (std::size_t i = 0; i < rows_.size(); ++i) {
            index_.emplace(rows_[i].key, i);
        }
        return true;
    }

    // dbm.dumb's _commit(): the old index becomes FILE.bak, the new one FILE.dir.
    void commit() {
        std::string index;
        for (const auto& row : rows_) {
            index += latin1_repr(row.key) + ", (" + std::to_string(row.pos) + ", " +
                     std::to_string(row.size) + ")\n";
        }
        if (fs::exists(dir_)) {
            replace_file(bak_, read_file(dir_));
        }
        replace_file(dir_, index);
    }

    fs::path dat_;
    fs::path dir_;
    fs::path bak_;
    std::vector<Row> rows_;
    std::map<std::string, std::size_t> index_;
};

} // namespace

std::vector<DbmRecord> parse_dbm_dumb(std::string_view index, std::string_view data) {
    try {
        return parse_index(index, data);
    } catch (const DbmError& error) {
        throw NamingError(std::string("dbm error in open: ") + error.what());
    }
}

std::unique_ptr<Storage> make_dbm_storage(const std::string& file) {
    return std::make_unique<DbmStorage>(file);
}

} // namespace pyro::ns
