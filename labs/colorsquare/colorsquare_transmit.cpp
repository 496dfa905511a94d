// Lab 2, exercise 4 — the colour square transmitter.
//
// Reads commands at a prompt and turns each into a remote call on the receiver's square:
// RED, GREEN, BLUE or R,G,B call set_color(r, g, b); TIME calls elapsed(). What a line means is
// decided by parse_command() (colour_command.cpp), a plain function with its own unit test.
#include <unistd.h>

#include <iostream>
#include <string>
#include <variant>

#include "colour_command.hpp"
#include "lab_support.hpp"

using namespace colorsquare;

int main(int argc, char** argv) {
    return labkit::run_program("colorsquare-transmit", [&] {
        CLI::App app{"Changes the colour of the square shown by colorsquare-receive."};
        labkit::LabOptions options;
        labkit::add_lab_options(app, options, /*serves_objects=*/false);
        labkit::parse_command_line(app, options, argc, argv);
        const std::string name = "example.colorsquare";

        // 1. Ask the name server where the square is.
        pyro::NameServer ns = labkit::find_name_server(options);
        pyro::Uri uri;
        try {
            // [handout:todo.lookup]
            uri = ns.lookup(name);
            // [/handout:todo.lookup]
        } catch (const pyro::NamingError&) {
            throw pyro::NamingError("'" + name +
                                    "' is not in the name server; start colorsquare-receive first");
        }
        pyro::Proxy square(uri, options.config);

        // When commands come from a file or a pipe, echo them, so the output reads as a dialogue.
        const bool echo_input = isatty(STDIN_FILENO) == 0;
        try {
            // 2. Connect now, so a receiver that is gone shows up before the first command.
            square.bind();
            std::cout << "Connected to '" << name << "' at " << uri.str() << std::endl;
            std::cout << "Type " << command_summary() << "." << std::endl;

            // [handout:loop]
            // 3. One line, one command, until QUIT or the end of the input.
            std::string line;
            while ((std::cout << "colour> " << std::flush) && std::getline(std::cin, line)) {
                if (echo_input) {
                    std::cout << line << std::endl;
                }
                const Command command = parse_command(line);
                if (std::holds_alternative<Quit>(command)) {
                    break;
                }
                if (const auto* set = std::get_if<SetColour>(&command)) {
                    // The remote call: looks like a local one.
                    // [handout:todo.set_color]
                    square.call<void>("set_color", set->rgb.r, set->rgb.g, set->rgb.b);
                    // [/handout:todo.set_color]
                    std::cout << "square is now " << (set->name.empty() ? "" : set->name + " ")
                              << "(" << set->rgb.r << ", " << set->rgb.g << ", " << set->rgb.b
                              << ")" << std::endl;
                } else if (std::holds_alternative<AskTime>(command)) {
                    // [handout:todo.elapsed]
                    const auto seconds = square.call<double>("elapsed");
                    // [/handout:todo.elapsed]
                    std::cout << "receiver running for " << describe_duration(seconds) << std::endl;
                } else if (std::holds_alternative<ShowHelp>(command)) {
                    std::cout << "Commands: " << command_summary() << "." << std::endl;
                } else if (const auto* mistake = std::get_if<Mistake>(&command)) {
                    std::cout << "Sorry, " << mistake->explanation << std::endl;
                }
            }
            // [/handout:loop]
        } catch (const pyro::CommunicationError& error) {
            // Connection refused, closed or timed out: the receiver has gone away.
            std::cout << std::endl;
            std::cerr << "colorsquare-transmit: lost the receiver (" << error.what()
                      << "); is colorsquare-receive still running?" << std::endl;
            return 1;
        }
        // After the end of the input the prompt line is still open: end it first.
        std::cout << (std::cin ? "" : "\n") << "Bye." << std::endl;
        return 0;
    });
}
