#include "pyro/errors.hpp"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace pyro {
namespace {

template <typename Base, typename Thrown>
bool caught_as(const Thrown& error) {
    try {
        throw error;
    } catch (const Base&) {
        return true;
    } catch (...) {
        return false;
    }
}

TEST(ErrorHierarchy, EveryClassIsCaughtByItsBases) {
    EXPECT_TRUE((caught_as<std::runtime_error>(PyroError("x"))));
    EXPECT_TRUE((caught_as<PyroError>(CommunicationError("x"))));
    EXPECT_TRUE((caught_as<CommunicationError>(ConnectionClosedError("x"))));
    EXPECT_TRUE((caught_as<CommunicationError>(TimeoutError("x"))));
    EXPECT_TRUE((caught_as<CommunicationError>(ProtocolError("x"))));
    EXPECT_TRUE((caught_as<ProtocolError>(MessageTooLargeError("x"))));
    EXPECT_TRUE((caught_as<CommunicationError>(MessageTooLargeError("x"))));
    EXPECT_TRUE((caught_as<ProtocolError>(SerializeError("x"))));
    EXPECT_TRUE((caught_as<PyroError>(SerializeError("x"))));
    EXPECT_TRUE((caught_as<PyroError>(NamingError("x"))));
    EXPECT_TRUE((caught_as<PyroError>(DaemonError("x"))));
    EXPECT_TRUE((caught_as<PyroError>(SecurityError("x"))));
    EXPECT_TRUE((caught_as<PyroError>(RemoteError("builtins.ValueError", "x"))));
    EXPECT_TRUE((caught_as<RemoteError>(TypeError("x"))));
    EXPECT_TRUE((caught_as<PyroError>(TypeError("x"))));
}

TEST(ErrorHierarchy, SiblingsAreNotCaughtByEachOther) {
    EXPECT_FALSE((caught_as<CommunicationError>(NamingError("x"))));
    EXPECT_FALSE((caught_as<ProtocolError>(TimeoutError("x"))));
    EXPECT_FALSE((caught_as<SerializeError>(MessageTooLargeError("x"))));
    EXPECT_FALSE((caught_as<RemoteError>(DaemonError("x"))));
    EXPECT_FALSE((caught_as<TypeError>(RemoteError("builtins.TypeError", "x"))));
}

TEST(ErrorHierarchy, PythonClassNamesMatchPyro4) {
    const std::vector<std::pair<std::shared_ptr<PyroError>, std::string>> cases{
        {std::make_shared<PyroError>("m"), "Pyro4.errors.PyroError"},
        {std::make_shared<CommunicationError>("m"), "Pyro4.errors.CommunicationError"},
        {std::make_shared<ConnectionClosedError>("m"), "Pyro4.errors.ConnectionClosedError"},
        {std::make_shared<TimeoutError>("m"), "Pyro4.errors.TimeoutError"},
        {std::make_shared<ProtocolError>("m"), "Pyro4.errors.ProtocolError"},
        {std::make_shared<MessageTooLargeError>("m"), "Pyro4.errors.MessageTooLargeError"},
        {std::make_shared<SerializeError>("m"), "Pyro4.errors.SerializeError"},
        {std::make_shared<NamingError>("m"), "Pyro4.errors.NamingError"},
        {std::make_shared<DaemonError>("m"), "Pyro4.errors.DaemonError"},
        {std::make_shared<SecurityError>("m"), "Pyro4.errors.SecurityError"},
        {std::make_shared<RemoteError>("labkit.LabError", "m"), "labkit.LabError"},
        {std::make_shared<TypeError>("m"), "builtins.TypeError"},
    };
    for (const auto& [error, python_class] : cases) {
        // Through the base: python_class() is virtual.
        EXPECT_EQ(error->python_class(), python_class);
        EXPECT_STREQ(error->what(), "m");
    }
}

TEST(RemoteTraceback, EmptyForLocalErrors) {
    const NamingError error("unknown name: x");
    EXPECT_TRUE(error.remote_traceback().empty());
    EXPECT_EQ(error.formatted_remote_traceback(), "");
}

TEST(RemoteTraceback, KeptAcrossCopies) {
    NamingError error("unknown name: x");
    error.set_remote_traceback({"line 1\n", "line 2\n"});
    const NamingError copy = error;
    EXPECT_EQ(copy.remote_traceback(), (std::vector<std::string>{"line 1\n", "line 2\n"}));
}

// Expected text produced by Pyro4.util.getPyroTraceback() (remote part) on /usr/bin/python3.
TEST(RemoteTraceback, FormattedAsPyro4GetPyroTraceback) {
    PyroError error("x");
    error.set_remote_traceback({
        "Traceback (most recent call last):\n",
        "  File \"a.py\", line 1, in f\n    g()\n",
        "NamingError: x\n",
        "no newline",
        "two\n\n",
        "",
    });
    EXPECT_EQ(error.formatted_remote_traceback(),
              " +--- This exception occured remotely (Pyro) - Remote traceback:\n"
              " | Traceback (most recent call last):\n"
              " |   File \"a.py\", line 1, in f\n"
              " |     g()\n"
              " | NamingError: x\n"
              " | no newline\n"
              " | two\n"
              " | \n"
              " | \n"
              " +--- End of remote traceback\n");
}

TEST(RemoteTraceback, OneLine) {
    RemoteError error("builtins.ValueError", "bad");
    error.set_remote_traceback({"ValueError: bad\n"});
    EXPECT_EQ(error.formatted_remote_traceback(),
              " +--- This exception occured remotely (Pyro) - Remote traceback:\n"
              " | ValueError: bad\n"
              " +--- End of remote traceback\n");
}

} // namespace
} // namespace pyro
