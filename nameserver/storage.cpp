#include "nameserver/storage.hpp"

#include "pyro/errors.hpp"

namespace pyro::ns {

std::optional<Listing> Storage::prefix_list(std::string_view) {
    return std::nullopt;
}

std::optional<Listing> Storage::metadata_search(const std::vector<std::string>*,
                                                const std::vector<std::string>*) {
    return std::nullopt;
}

namespace {

// Length of the UTF-8 sequence starting at text[at], or 0 when it is not a valid one.
std::size_t utf8_sequence(std::string_view text, std::size_t at) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned lead = byte(at);
    if (lead < 0x80) {
        return 1;
    }
    std::size_t length = 0;
    unsigned low = 0x80; // the second byte's range, which rules out overlong forms and surrogates
    unsigned high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        low = lead == 0xE0 ? 0xA0 : 0x80;
        high = lead == 0xED ? 0x9F : 0xBF;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        low = lead == 0xF0 ? 0x90 : 0x80;
        high = lead == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (at + length > text.size() || byte(at + 1) < low || byte(at + 1) > high) {
        return 0;
    }
    for (std::size_t i = 2; i < length; ++i) {
        if ((byte(at + i) & 0xC0) != 0x80) {
            return 0;
        }
    }
    return length;
}

} // namespace

bool is_utf8(std::string_view text) {
    for (std::size_t at = 0; at < text.size();) {
        const std::size_t length = utf8_sequence(text, at);
        if (length == 0) {
            return false;
        }
        at += length;
    }
    return true;
}

std::string printable(std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t at = 0; at < text.size();) {
        const auto byte = static_cast<unsigned char>(text[at]);
        const std::size_t length = utf8_sequence(text, at);
        if (length == 0 || byte < 0x20 || byte == 0x7F) {
            out += "\\x";
            out += hex[byte >> 4];
            out += hex[byte & 0xF];
            ++at;
            continue;
        }
        out.append(text.substr(at, length));
        at += length;
    }
    return out;
}

void throw_unusable_file(std::string_view storage, const std::string& file,
                         const std::string& problem, std::string_view advice) {
    throw NamingError(std::string(storage) + " storage: " + printable(file) + " " + problem + "; " +
                      std::string(advice));
}

// make_memory_storage(): memory_storage.cpp.

StorageSpec parse_storage_spec(std::string_view text) {
    if (text.empty() || text == "memory") {
        return {};
    }
    // As pyro4-ns: "dbm:" and "sql:" need a file name after the colon.
    if (text.size() > 4 && text.starts_with("dbm:")) {
        return {StorageSpec::Kind::Dbm, std::string(text.substr(4))};
    }
    if (text.size() > 4 && text.starts_with("sql:")) {
        return {StorageSpec::Kind::Sql, std::string(text.substr(4))};
    }
    throw RemoteError("builtins.ValueError", "invalid storage type '" + std::string(text) + "'");
}

std::unique_ptr<Storage> open_storage(const StorageSpec& spec) {
    switch (spec.kind) {
    case StorageSpec::Kind::Dbm:
        return make_dbm_storage(spec.file);
    case StorageSpec::Kind::Sql:
        return make_sql_storage(spec.file);
    case StorageSpec::Kind::Memory:
        break;
    }
    return make_memory_storage();
}

} // namespace pyro::ns
