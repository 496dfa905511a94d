// Pyro4's DbmStorage: finding the dbm files the way Python's dbm.whichdb does, and Python's
// dbm.dumb format (PYRO4-WIRE.md §10.2), which pyro4-ns uses where the database already is one
// (Python's dbm.open() recognises a FILE.dat + FILE.dir pair whatever modules its build has). The
// Berkeley DB format pyro4-ns creates on Debian is in dbm_berkeley.cpp.
//
//   FILE.dat  the values (URI strings, UTF-8), each starting at a multiple of 512 bytes
//   FILE.dir  the index, Latin-1 text, one line per key: repr(key), (offset, size)
//   FILE.bak  the previous FILE.dir
//
// Updates follow dbm.dumb: a value that still fits in its blocks is overwritten in place, a
// bigger one is appended. The index is rewritten after every change (to a temporary file,
// fsync'ed, then renamed), so the files are consistent and on disk whenever the process dies.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nameserver/dbm_storage.hpp"
#include "nameserver/storage.hpp"
#include "pyro/errors.hpp"
#include "pyro/serializer.hpp"

namespace pyro::ns {

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t block_size = 512;                // dbm.dumb's _BLOCKSIZE
constexpr std::uint32_t berkeley_hash_magic = 0x061561; // DB_HASHMAGIC, at offset 12 of a hash file

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
    LineParser(std::string_view line, std::size_t number) : text_(line), number_(number) {}

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
        // The line itself is not shown: it may hold any bytes.
        throw DbmError("line " + std::to_string(number_) +
                       " is not a dbm.dumb index entry ('name', (offset, size))");
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
    std::size_t number_;
    std::size_t pos_ = 0;
};

// The pure part of opening a database, apart so it can be fuzzed without files.
std::vector<DbmRecord> parse_index(std::string_view index, std::string_view data) {
    std::vector<DbmRecord> records;
    std::map<std::string, std::size_t, std::less<>> position;
    std::size_t number = 0;
    while (!index.empty()) {
        ++number;
        const auto end = index.find('\n');
        std::string_view line = index.substr(0, end);
        index.remove_prefix(end == std::string_view::npos ? index.size() : end + 1);
        while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
            line.remove_suffix(1);
        }
        if (line.empty()) {
            continue;
        }
        IndexLine parsed = LineParser(line, number).parse();
        // Compared without adding: pos + size may overflow int64.
        const auto available = static_cast<std::int64_t>(data.size());
        if (parsed.pos > available || parsed.size > available - parsed.pos) {
            throw DbmError("line " + std::to_string(number) + " points beyond the end of the " +
                           std::to_string(data.size()) + "-byte data file");
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

} // namespace

FileLock::FileLock(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) {
        throw NamingError("dbm storage: cannot open " + printable(path) + " (" +
                          std::strerror(errno) + "); check its permissions");
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        const int error = errno;
        ::close(fd_);
        if (error == EWOULDBLOCK) {
            throw_unusable_file("dbm", path, "is in use by another name server",
                                "stop that one first, or give -s dbm: another name");
        }
        throw NamingError("dbm storage: cannot lock " + printable(path) + " (" +
                          std::strerror(error) + ")");
    }
}

FileLock::~FileLock() {
    ::close(fd_); // releases the lock
}

namespace {

std::string dumb_advice(const std::string& file) {
    const std::string shown = printable(file);
    return "move " + shown +
           ".dir, .dat and .bak away (pyro-ns then starts with an empty store) "
           "or restore " +
           shown + ".dir from " + shown + ".bak";
}

// A file descriptor closed on scope exit; POSIX I/O because fsync needs the descriptor.
class Fd {
public:
    Fd(const fs::path& path, int flags) : fd_(::open(path.c_str(), flags | O_CLOEXEC, 0600)) {
        if (fd_ < 0) {
            throw DbmError("cannot open " + printable(path.string()) + ": " + std::strerror(errno));
        }
    }
    ~Fd() { ::close(fd_); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    [[nodiscard]] int get() const { return fd_; }

private:
    int fd_;
};

void write_all(const Fd& fd, std::string_view bytes, off_t at, const fs::path& path) {
    while (!bytes.empty()) {
        const ssize_t written = ::pwrite(fd.get(), bytes.data(), bytes.size(), at);
        if (written < 0 && errno == EINTR) {
            continue;
        }
        if (written <= 0) {
            throw DbmError("cannot write " + printable(path.string()) + ": " +
                           std::strerror(errno));
        }
        bytes.remove_prefix(static_cast<std::size_t>(written));
        at += written;
    }
}

void sync_file(const Fd& fd, const fs::path& path) {
    if (::fsync(fd.get()) != 0) {
        throw DbmError("cannot sync " + printable(path.string()) + ": " + std::strerror(errno));
    }
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw DbmError("cannot read " + printable(path.string()));
    }
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

// Writes to a temporary file and renames it over `path`: readers see the old or the new file.
// `durable`: the content is on disk before the rename, and the rename before returning.
void replace_file(const fs::path& path, const std::string& content, bool durable) {
    const fs::path temporary = path.string() + ".tmp";
    {
        const Fd out(temporary, O_WRONLY | O_CREAT | O_TRUNC);
        write_all(out, content, 0, temporary);
        if (durable) {
            sync_file(out, temporary);
        }
    }
    std::error_code error;
    fs::rename(temporary, path, error);
    if (error) {
        throw DbmError("cannot replace " + printable(path.string()) + ": " + error.message());
    }
    if (durable) {
        const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
        sync_file(Fd(folder, O_RDONLY | O_DIRECTORY), folder);
    }
}

class DbmStorage final : public Storage {
public:
    explicit DbmStorage(const std::string& file)
        : file_(file), dat_(file + ".dat"), dir_(file + ".dir"), bak_(file + ".bak"),
          lock_(dat_.string()) { // FILE.dat: FILE.dir is replaced on every change
        open();
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

    bool regex_matches_whole_name() const override { return true; }

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

    void open() {
        std::string index;
        std::string data;
        try {
            index = read_file(dir_);
            data = read_file(dat_);
        } catch (const DbmError& error) {
            throw NamingError(std::string("dbm storage: ") + error.what() +
                              "; check the files' permissions");
        }
        std::vector<DbmRecord> records;
        try {
            records = parse_index(index, data);
        } catch (const DbmError& error) {
            throw_unusable_file("dbm", dir_.string(), std::string("is damaged: ") + error.what(),
                                dumb_advice(file_));
        }
        std::size_t number = 0;
        for (auto& record : records) {
            ++number;
            if (!is_utf8(record.key) || !is_utf8(record.value)) {
                throw_unusable_file("dbm", dir_.string(),
                                    "holds an entry that is not UTF-8 text (entry " +
                                        std::to_string(number) +
                                        "), so it is no name server database",
                                    "give -s dbm: another name");
            }
            index_.emplace(record.key, rows_.size());
            rows_.push_back(
                {std::move(record.key), record.pos, record.size, std::move(record.value)});
        }
    }

    std::pair<std::int64_t, std::int64_t> append_value(const std::string& value) {
        const Fd out(dat_, O_RDWR);
        const off_t end = ::lseek(out.get(), 0, SEEK_END);
        if (end < 0) {
            throw DbmError("cannot seek in " + printable(dat_.string()));
        }
        const std::int64_t pos = (end + block_size - 1) / block_size * block_size;
        write_all(out, std::string(static_cast<std::size_t>(pos - end), '\0') + value, end, dat_);
        sync_file(out, dat_);
        return {pos, static_cast<std::int64_t>(value.size())};
    }

    void write_value(std::int64_t pos, const std::string& value) {
        const Fd out(dat_, O_RDWR);
        write_all(out, value, static_cast<off_t>(pos), dat_);
        sync_file(out, dat_);
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
        // The backup need not be durable: FILE.dir is, and is what is read.
        if (fs::exists(dir_)) {
            replace_file(bak_, read_file(dir_), false);
        }
        replace_file(dir_, index, true);
    }

    std::string file_;
    fs::path dat_;
    fs::path dir_;
    fs::path bak_;
    FileLock lock_;
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

namespace {

bool readable_file(const std::string& path) {
    std::error_code ignored;
    return fs::is_regular_file(path, ignored);
}

// The first 16 bytes of a file, as dbm.whichdb() reads them.
std::string head_of(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::string head(16, '\0');
    in.read(head.data(), 16);
    head.resize(static_cast<std::size_t>(in.gcount()));
    return head;
}

std::uint32_t native_u32(std::string_view bytes) {
    std::uint32_t value = 0;
    std::memcpy(&value, bytes.data(), sizeof value);
    return value;
}

// What is at FILE when no dbm files with suffixes are: dbm.whichdb() looks for GNU dbm's magic
// there; a Berkeley DB file named with its suffix is a likely slip worth a precise hint.
[[noreturn]] void refuse_plain_file(const std::string& file) {
    const std::string head = head_of(file);
    if (head.size() >= 4) {
        const std::uint32_t magic = native_u32(head);
        if (magic == 0x13579ace || magic == 0x13579acd || magic == 0x13579acf) {
            throw_unusable_file("dbm", file,
                                "is a GNU dbm database, which pyro-ns does not read (GNU dbm is "
                                "GPL-3, so the kit leaves it out)",
                                "convert it to FILE.db as nameserver/README.md shows, or give "
                                "-s dbm: another name");
        }
    }
    if (head.size() == 16 && native_u32(head.substr(12)) == berkeley_hash_magic &&
        file.ends_with(".db")) {
        throw_unusable_file("dbm", file, "is a Berkeley DB file named with its suffix",
                            "give the name without .db: -s dbm:" +
                                printable(file.substr(0, file.size() - 3)));
    }
    throw_unusable_file("dbm", file,
                        "exists but is no dbm database pyro-ns knows (it looks for FILE.db, "
                        "or FILE.dat with FILE.dir)",
                        "give -s dbm: the database's name without suffix, or another name");
}

} // namespace

std::unique_ptr<Storage> make_dbm_storage(const std::string& file) {
    // dbm.whichdb()'s order. One difference: a FILE.db that does not open is reported, where
    // whichdb would pass over it and dbm.open would then fail on it anyway.
    if (readable_file(file + ".pag") && readable_file(file + ".dir")) {
        throw_unusable_file("dbm", file + ".pag",
                            "with " + printable(file) +
                                ".dir is an old ndbm database, which pyro-ns does not read",
                            "convert it to FILE.db as nameserver/README.md shows, or give -s dbm: "
                            "another name");
    }
    if (readable_file(file + ".db")) {
        return make_berkeley_dbm_storage(file, false);
    }
    if (readable_file(file + ".dat") && readable_file(file + ".dir")) {
        const std::string first = head_of(file + ".dir").substr(0, 1);
        if (first.empty() || first == "'" || first == "\"") {
            return std::make_unique<DbmStorage>(file);
        }
        // whichdb would not recognise these and dbm.open would start a new FILE.db beside
        // them; a damaged index is better reported than silently left behind.
        throw_unusable_file("dbm", file + ".dir",
                            "is damaged: a dbm.dumb index starts with a quoted name",
                            dumb_advice(file));
    }
    if (readable_file(file)) {
        refuse_plain_file(file);
    }
    return make_berkeley_dbm_storage(file, true);
}

} // namespace pyro::ns
