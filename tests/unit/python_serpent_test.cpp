// Property tests against the real Python serpent 1.41: Python generates random values and
// serializes them; libpyro must read every text back to the same value and, from the same value,
// write the same bytes.
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "pyro/errors.hpp"
#include "pyro/serializer.hpp"
#include "support/hex.hpp"
#include "support/process.hpp"
#include "support/python.hpp"
#include "support/tagged_value.hpp"
#include "support/vectors.hpp"
#include "unicode_printable.hpp"

namespace pyro {

// Readable values in GoogleTest failure messages.
static void PrintTo(const Value& value, std::ostream* out) {
    *out << value.repr();
}

namespace {

// Modes: "values N SEED", "floats N SEED", "strings N SEED", "table". Every output line is
// tab-separated and ASCII (serpent text in hex, value trees as ensure_ascii json).
constexpr std::string_view generator_script = R"PY(
import base64, json, math, random, struct, sys
try:
    import serpent
except ImportError as error:
    print("MISSING", error)
    sys.exit(3)

mode = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 0
rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 0)

SPECIAL_FLOATS = [0.0, -0.0, 0.1, -2.5, 1e16, 1.5e16, 1e-05, 0.0001, 123456789.123, 1e300,
                  5e-324, 1.7976931348623157e308, 2 ** 0.5, 1e22, 1e23, 9999999999999998.0,
                  math.inf, -math.inf, math.nan]
CHAR_POOLS = ["abcXYZ 019_", "'\"\\", "\n\r\t\x00\x01\x1b\x1f\x7f", "\x80\x85\x9f\xa0\xad\xe9\xff",
              "\u00f1\u00fa\u20ac\u2603\u2028\u2029\u200b\u200d\u3000\ufeff\ue000\u0378\uffff",
              "\U0001F600\U0001F469\U0001F4BB\U000E0001\U0010FFFF\U00020000\U0003134B"]


def random_double():
    while True:
        value = struct.unpack("<d", rnd.getrandbits(64).to_bytes(8, "little"))[0]
        if math.isfinite(value):
            return value


def rfloat(allow_nan=True):
    r = rnd.random()
    if r < 0.4:
        value = rnd.choice(SPECIAL_FLOATS)
    elif r < 0.7:
        value = random_double()
    else:
        value = round(rnd.uniform(-1e6, 1e6), rnd.randint(0, 8))
    return 1.0 if math.isnan(value) and not allow_nan else value


def random_code_point():
    while True:
        c = rnd.choice([rnd.randrange(0, 0x80), rnd.randrange(0x80, 0x800),
                        rnd.randrange(0x800, 0x10000), rnd.randrange(0x10000, 0x110000)])
        if not 0xD800 <= c <= 0xDFFF:
            return chr(c)


def rstr(length=None):
    n = rnd.randrange(0, 12) if length is None else length
    return "".join(random_code_point() if rnd.random() < 0.2 else rnd.choice(rnd.choice(CHAR_POOLS))
                   for _ in range(n))


def rint():
    r = rnd.random()
    if r < 0.4:
        return rnd.randint(-1000, 1000)
    if r < 0.6:
        return rnd.choice([0, -1, 2 ** 63 - 1, -2 ** 63, 2 ** 63, -2 ** 63 - 1, 2 ** 64, 10 ** 30])
    return rnd.getrandbits(rnd.randrange(1, 400)) * rnd.choice([1, -1])


def rcomplex():
    imag = rfloat(allow_nan=False)
    # serpent writes an imaginary -0.0 as "+-0.0j", which Python itself cannot read back.
    return complex(rfloat(allow_nan=False), 0.0 if imag == 0.0 else imag)


def rkey(depth):
    r = rnd.random()
    if r < 0.5:
        return rstr()
    if r < 0.7:
        return rint()
    if r < 0.8:
        return rfloat(allow_nan=False)
    if r < 0.85:
        return rnd.choice([True, False])
    if r < 0.9:
        return rcomplex()
    return tuple(rkey(depth + 1) if depth < 2 else rint() for _ in range(rnd.randrange(0, 3)))


def rvalue(depth):
    kinds = ["none", "bool", "int", "float", "str", "complex", "bytes"]
    if depth < 4:
        kinds += ["list", "tuple", "set", "dict"] * 2
    kind = rnd.choice(kinds)
    size = rnd.randrange(0, 5)
    if kind == "none":
        return None
    if kind == "bool":
        return rnd.choice([True, False])
    if kind == "int":
        return rint()
    if kind == "float":
        return rfloat()
    if kind == "str":
        return rstr()
    if kind == "complex":
        return rcomplex()
    if kind == "bytes":
        return bytes(rnd.getrandbits(8) for _ in range(size * 2))
    if kind == "list":
        return [rvalue(depth + 1) for _ in range(size)]
    if kind == "tuple":
        return tuple(rvalue(depth + 1) for _ in range(size))
    if kind == "set":
        items = {rkey(depth + 1) for _ in range(size)}
        return frozenset(items) if rnd.random() < 0.2 else items
    return {rkey(depth + 1): rvalue(depth + 1) for _ in range(size)}


def describe(v, wire):
    """The vectors' payload_value tree; wire=True describes what libpyro's serpent reader gets:
    an empty set as the empty tuple serpent writes for it. (Bytes travel as serpent's spaced
    base64 dict, which libpyro reads back as bytes.)"""
    t = type(v)
    if v is None:
        return ["None"]
    if t is bool:
        return ["bool", v]
    if t is int:
        return ["int", str(v)]
    if t is float:
        return ["float", repr(v)]
    if t is complex:
        return ["complex", [repr(v.real), repr(v.imag)]]
    if t is str:
        return ["str", v]
    if t is bytes:
        return ["bytes", v.hex()]
    if t is list:
        return ["list", [describe(x, wire) for x in v]]
    if t is tuple:
        return ["tuple", [describe(x, wire) for x in v]]
    if t in (set, frozenset):
        if wire and not v:
            return ["tuple", []]
        return ["set", [describe(x, wire) for x in v]]
    if t is dict:
        return ["dict", [[describe(k, wire), describe(x, wire)] for k, x in v.items()]]
    raise TypeError(t)


def flags(v, found):
    t = type(v)
    if t in (set, frozenset):
        if len(v) > 1:
            found.add("S")
        for x in v:
            flags(x, found)
    elif t in (list, tuple):
        for x in v:
            flags(x, found)
    elif t is dict:
        for k, x in v.items():
            flags(k, found)
            flags(x, found)
    return "".join(sorted(found)) or "-"


def dumps(v):
    data = serpent.dumps(v, module_in_classname=True)
    serpent.loads(data)  # only values Python itself can read back
    return data.hex()


if mode == "values":
    for _ in range(count):
        v = rvalue(0)
        print(dumps(v), json.dumps(describe(v, True)), json.dumps(describe(v, False)),
              flags(v, set()), sep="\t")
elif mode == "floats":
    for _ in range(count):
        v = random_double() if rnd.random() < 0.8 else rfloat()
        print(dumps(v), struct.pack("<d", v).hex(), sep="\t")
elif mode == "strings":
    for _ in range(count):
        v = rstr(rnd.randrange(1, 24))
        print(dumps(v), v.encode("utf-8").hex(), sep="\t")
elif mode == "table":
    start = None
    for cp in range(sys.maxunicode + 2):
        printable = cp > sys.maxunicode or chr(cp).isprintable()
        if not printable and start is None:
            start = cp
        elif printable and start is not None:
            print("%x\t%x" % (start, cp - 1))
            start = None
)PY";

std::vector<std::string> split(std::string_view text, char separator) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = text.find(separator, start);
        parts.emplace_back(text.substr(start, end - start));
        if (end == std::string_view::npos) {
            return parts;
        }
        start = end + 1;
    }
}

struct PythonRun {
    std::vector<std::string> lines;
    std::string error; // empty on success
};

// Runs the generator script with the interpreter that has Pyro4 and serpent.
PythonRun run_generator(const std::vector<std::string>& arguments) {
    const std::string interpreter = test::python_interpreter();
    std::vector<std::string> argv{interpreter, "-c", std::string(generator_script)};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    std::string command = interpreter + " -c <generator_script>";
    for (const auto& argument : arguments) {
        command += " " + argument;
    }
    PythonRun run;
    std::string output;
    std::string errors;
    std::optional<int> status;
    try {
        test::ChildProcess generator(std::move(argv), test::python_environment());
        output = generator.read_all(test::Stream::Stdout, std::chrono::minutes(2));
        status = generator.wait(std::chrono::seconds(10));
        errors = generator.read_all(test::Stream::Stderr, std::chrono::seconds(1));
    } catch (const std::runtime_error& error) {
        run.error = error.what();
        return run;
    }

    if (output.starts_with("MISSING")) {
        run.error = interpreter + " cannot import serpent (" + output.substr(0, output.find('\n')) +
                    "); install it with ./labkit setup";
    } else if (status != 0) {
        const std::string how = status ? "exit code " + std::to_string(*status) : "timed out";
        run.error = command + " failed (" + how + "):\n" + output + errors;
    }
    for (auto& line : split(output, '\n')) {
        if (!line.empty()) {
            run.lines.push_back(std::move(line));
        }
    }
    return run;
}

Value tagged(const std::string& json) {
    return test::from_tagged(boost::json::parse(json));
}

TEST(PythonSerpent, RandomValuesMatchPythonBothWays) {
    const PythonRun run = run_generator({"values", "400", "20240517"});
    ASSERT_TRUE(run.error.empty()) << run.error;
    ASSERT_EQ(run.lines.size(), 400u);
    int byte_exact_reads = 0;
    int byte_exact_writes = 0;
    for (const auto& line : run.lines) {
        const auto fields = split(line, '\t');
        ASSERT_EQ(fields.size(), 4u) << line;
        const std::string text = test::from_hex(fields[0]);
        const std::string& flags = fields[3];
        SCOPED_TRACE(text);

        Value parsed;
        ASSERT_NO_THROW(parsed = from_serpent(text));
        EXPECT_EQ(parsed, tagged(fields[1]));

        // Reading and writing again keeps the wire order of sets: identical bytes.
        EXPECT_EQ(to_serpent(parsed), text);
        ++byte_exact_reads;
        // From the original value: identical unless a set's order is Python's hash order.
        if (flags.find('S') == std::string::npos) {
            EXPECT_EQ(to_serpent(tagged(fields[2])), text);
            ++byte_exact_writes;
        }
    }
    // The generator must keep exercising both byte-exact paths.
    EXPECT_GT(byte_exact_reads, 100);
    EXPECT_GT(byte_exact_writes, 100);
}

TEST(PythonSerpent, RandomFloatsMatchPythonRepr) {
    const PythonRun run = run_generator({"floats", "3000", "7"});
    ASSERT_TRUE(run.error.empty()) << run.error;
    ASSERT_EQ(run.lines.size(), 3000u);
    for (const auto& line : run.lines) {
        const auto fields = split(line, '\t');
        ASSERT_EQ(fields.size(), 2u) << line;
        const std::string text = test::from_hex(fields[0]);
        const std::string bits = test::from_hex(fields[1]);
        ASSERT_EQ(bits.size(), 8u);
        std::uint64_t pattern = 0;
        for (std::size_t i = 0; i < 8; ++i) {
            pattern |= std::uint64_t{static_cast<unsigned char>(bits[i])} << (8 * i);
        }
        const double value = std::bit_cast<double>(pattern);
        EXPECT_EQ(to_serpent(value), text);
        const Value back = from_serpent(text);
        ASSERT_TRUE(back.is_float()) << text;
        if (std::isnan(value)) {
            EXPECT_TRUE(std::isnan(back.as_float())) << text;
        } else {
            EXPECT_EQ(std::bit_cast<std::uint64_t>(back.as_float()), pattern) << text;
        }
    }
}

TEST(PythonSerpent, RandomStringsMatchPythonRepr) {
    const PythonRun run = run_generator({"strings", "2000", "11"});
    ASSERT_TRUE(run.error.empty()) << run.error;
    ASSERT_EQ(run.lines.size(), 2000u);
    for (const auto& line : run.lines) {
        const auto fields = split(line, '\t');
        ASSERT_EQ(fields.size(), 2u) << line;
        const std::string text = test::from_hex(fields[0]);
        const std::string utf8 = test::from_hex(fields[1]);
        EXPECT_EQ(to_serpent(Value(utf8)), text);
        EXPECT_EQ(from_serpent(text), Value(utf8)) << text;
    }
}

// The generated table (tools/gen_unicode_printable.py) must agree with the Python that the kit
// talks to; regenerate it when this fails after a Python upgrade.
TEST(PythonSerpent, PrintableTableMatchesThisPython) {
    const PythonRun run = run_generator({"table"});
    ASSERT_TRUE(run.error.empty()) << run.error;
    std::vector<bool> printable(0x110000, true);
    for (const auto& line : run.lines) {
        const auto fields = split(line, '\t');
        ASSERT_EQ(fields.size(), 2u) << line;
        const auto first = std::stoul(fields[0], nullptr, 16);
        const auto last = std::stoul(fields[1], nullptr, 16);
        ASSERT_LE(last, 0x10FFFFu) << line;
        for (auto cp = first; cp <= last; ++cp) {
            printable[cp] = false;
        }
    }
    int mismatches = 0;
    for (char32_t cp = 0; cp < 0x110000; ++cp) {
        if (detail::is_python_printable(cp) != printable[cp] && ++mismatches <= 10) {
            ADD_FAILURE() << "U+" << std::hex << static_cast<std::uint32_t>(cp)
                          << ": Python says printable=" << printable[cp];
        }
    }
    EXPECT_EQ(mismatches, 0);
}

} // namespace
} // namespace pyro
