// A libpyro client over SSL/TLS (examples/ssl.md makes the certificates). The settings are
// Pyro4's, from the environment: PYRO_SSL_CACERTS names the CA that signed the server's
// certificate; PYRO_SSL_CLIENTCERT, PYRO_SSL_CLIENTKEY (and PYRO_SSL_CLIENTKEYPASSWD for an
// encrypted key) give this client a certificate when the server requires one.
#include <iostream>

#include <pyro/pyro.hpp>

int main(int argc, char** argv) try {
    if (argc != 3) {
        std::cerr << "usage: ssl_client URI MESSAGE   (URI of an echo server started with "
                     "PYRO_SSL=1; see examples/ssl.md)\n";
        return 2;
    }
    pyro::Config config = pyro::Config::from_environment();
    config.ssl = true; // this example is about SSL, so PYRO_SSL=1 is taken as given
    pyro::Proxy echo(argv[1], config);
    std::cout << echo.call<std::string>("echo", std::string(argv[2])) << std::endl;
} catch (const std::exception& error) {
    std::cerr << "ssl_client: " << error.what() << "\n";
    return 1;
}
