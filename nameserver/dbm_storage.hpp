// The parts of the dbm storage (make_dbm_storage in storage.hpp) behind its entry point: the
// Berkeley DB storage, and reading a Python dbm.dumb database (PYRO4-WIRE.md §10.2) as a pure
// function, so it can be tested and fuzzed on bytes without touching files.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace pyro::ns {

class Storage;

// An exclusive advisory lock (flock) on `path` while it lives: a second pyro-ns on the same dbm
// files is refused with one line instead of both writing them (neither format can take two
// writers). Throws NamingError when another process holds the lock or the file cannot be opened.
class FileLock {
public:
    explicit FileLock(const std::string& path);
    ~FileLock();
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;

private:
    int fd_;
};

// The Berkeley DB hash file FILE.db (dbm_berkeley.cpp). `create`: make a new one, with the
// settings of libdb's ndbm emulation; otherwise verify the existing one first. Throws NamingError
// with one line naming the file when it cannot be used.
[[nodiscard]] std::unique_ptr<Storage> make_berkeley_dbm_storage(const std::string& file,
                                                                 bool create);

// One entry of FILE.dir with the value it points at in FILE.dat.
struct DbmRecord {
    std::string key; // Latin-1 bytes, as dbm.dumb keeps keys
    std::int64_t pos = 0;
    std::int64_t size = 0;
    std::string value; // data[pos, pos + size)
};

// Reads `index` (FILE.dir: one line `repr(key), (offset, size)` per key) against `data`
// (FILE.dat), returning the entries in index order; a later line for the same key replaces the
// earlier one in place, as a Python dict does. Thread-safe. Throws NamingError("dbm error in
// open: …") for a malformed line or an entry beyond the end of the data.
[[nodiscard]] std::vector<DbmRecord> parse_dbm_dumb(std::string_view index, std::string_view data);

} // namespace pyro::ns
