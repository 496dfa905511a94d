#include "transport.hpp"

#include <filesystem>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "pyro/errors.hpp"

namespace pyro::detail {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;

namespace {

// OpenSSL's reason text without the library suffix Asio adds ("... (SSL routines)").
std::string reason_text(const boost::system::error_code& error) {
    if (error.category() == asio::error::get_ssl_category()) {
        if (const char* reason =
                ERR_reason_error_string(static_cast<unsigned long>(error.value()))) {
            return reason;
        }
    }
    return error.message();
}

void require_file(const std::string& setting, const std::string& path, bool directory_ok) {
    std::error_code ignored;
    if (path.empty() || !std::filesystem::exists(path, ignored)) {
        throw PyroError(setting + "='" + path + "': no such file; give the path of a PEM file");
    }
    if (!directory_ok && std::filesystem::is_directory(path, ignored)) {
        throw PyroError(setting + "='" + path + "' is a directory; give the path of a PEM file");
    }
}

// The certificate (chain), then its key: from the key file, else from the certificate file.
// The passphrase is always given by our callback, so OpenSSL never asks on the terminal.
void load_identity(TlsContext& context, const std::string& prefix, const std::string& cert,
                   const std::string& key, const std::string& password) {
    require_file(prefix + "CERT", cert, false);
    if (!key.empty()) {
        require_file(prefix + "KEY", key, false);
    }
    context.set_password_callback(
        [password](std::size_t, ssl::context::password_purpose) { return password; });
    boost::system::error_code error;
    context.use_certificate_chain_file(cert, error);
    if (error) {
        throw PyroError(prefix + "CERT='" + cert +
                        "' is not a readable PEM certificate: " + reason_text(error));
    }
    const std::string& key_file = key.empty() ? cert : key;
    const std::string key_setting = key.empty() ? prefix + "CERT" : prefix + "KEY";
    context.use_private_key_file(key_file, ssl::context::pem, error);
    if (error) {
        const auto reason = ERR_GET_REASON(static_cast<unsigned long>(error.value()));
        if (reason == X509_R_KEY_VALUES_MISMATCH) {
            throw PyroError(key_setting + "='" + key_file + "' is not the key of " + prefix +
                            "CERT='" + cert + "'; give the key the certificate was made for");
        }
        throw PyroError("cannot load the key " + key_setting + "='" + key_file +
                        "': " + reason_text(error) + " (an encrypted key needs its passphrase in " +
                        prefix + "KEYPASSWD; check it)");
    }
}

void load_cas(TlsContext& context, const std::string& cacerts) {
    boost::system::error_code error;
    if (cacerts.empty()) {
        context.set_default_verify_paths(error);
    } else {
        require_file("PYRO_SSL_CACERTS", cacerts, true);
        std::error_code ignored;
        if (std::filesystem::is_directory(cacerts, ignored)) {
            context.add_verify_path(cacerts, error); // a c_rehash'ed directory, as Pyro4's capath
        } else {
            context.load_verify_file(cacerts, error);
        }
    }
    if (error) {
        throw PyroError("PYRO_SSL_CACERTS='" + cacerts +
                        "' holds no readable PEM certificate: " + reason_text(error));
    }
}

std::shared_ptr<TlsContext> new_context(ssl::context::method method) {
    auto context = std::make_shared<TlsContext>(method);
    // Python's default contexts: TLS 1.2 or newer, no compression.
    SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
    context->set_options(ssl::context::default_workarounds | ssl::context::no_compression);
    return context;
}

} // namespace

std::shared_ptr<TlsContext> make_server_tls(const Config& config) {
    if (config.ssl_servercert.empty()) {
        throw PyroError("PYRO_SSL is on but PYRO_SSL_SERVERCERT is not set: a server needs a "
                        "certificate and key (PYRO_SSL_SERVERCERT, PYRO_SSL_SERVERKEY); see "
                        "examples/ssl.md");
    }
    auto context = new_context(ssl::context::tls_server);
    load_identity(*context, "PYRO_SSL_SERVER", config.ssl_servercert, config.ssl_serverkey,
                  config.ssl_serverkeypasswd);
    if (!config.ssl_cacerts.empty() || config.ssl_requireclientcert) {
        load_cas(*context, config.ssl_cacerts);
    }
    // No session tickets: nothing here resumes sessions, and a ticket arriving after the
    // handshake would look like unread data to a proxy's liveness check.
    SSL_CTX_set_num_tickets(context->native_handle(), 0);
    context->set_verify_mode(config.ssl_requireclientcert
                                 ? ssl::verify_peer | ssl::verify_fail_if_no_peer_cert
                                 : ssl::verify_none);
    return context;
}

std::shared_ptr<TlsContext> make_client_tls(const Config& config) {
    auto context = new_context(ssl::context::tls_client);
    load_cas(*context, config.ssl_cacerts);
    if (!config.ssl_clientcert.empty()) {
        load_identity(*context, "PYRO_SSL_CLIENT", config.ssl_clientcert, config.ssl_clientkey,
                      config.ssl_clientkeypasswd);
    }
    context->set_verify_mode(ssl::verify_peer);
    return context;
}

bool is_tls_error(const boost::system::error_code& error) {
    return error.category() == asio::error::get_ssl_category() ||
           error.category() == ssl::error::get_stream_category();
}

Transport::Transport(Socket& socket, TlsContext* tls) : socket_(socket) {
    if (tls != nullptr) {
        tls_ = std::make_unique<ssl::stream<Socket&>>(socket_, *tls);
    }
}

Transport::~Transport() = default;

void Transport::expect_server_name(const std::string& host) {
    server_name_ = host;
    SSL* ssl_handle = tls_->native_handle();
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    boost::system::error_code not_ip;
    (void)asio::ip::make_address(host, not_ip);
    if (!not_ip) {
        // An address: matched against the certificate's IP entries, and no SNI (as Python).
        X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    } else {
        SSL_set_tlsext_host_name(ssl_handle, host.c_str());
        X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
    }
}

std::string Transport::failure_text(const boost::system::error_code& error, bool client,
                                    std::string_view peer) const {
    const std::string head = "SSL handshake with " + std::string(peer) + " failed: ";
    if (error == ssl::error::stream_truncated || error == asio::error::eof ||
        error == asio::error::connection_reset) {
        return head + "the connection closed during the TLS handshake" +
               (client ? " (is the server using SSL? it may also have refused this program's "
                         "certificate)"
                       : " (the client gave up: perhaps it does not trust this server's "
                         "certificate)");
    }
    if (!is_tls_error(error)) {
        return head + error.message();
    }
    const int reason = ERR_GET_REASON(static_cast<unsigned long>(error.value()));
    switch (reason) {
    case SSL_R_CERTIFICATE_VERIFY_FAILED: {
        const long result = tls_ ? SSL_get_verify_result(tls_->native_handle()) : X509_V_OK;
        const std::string why = "certificate verify failed (" +
                                std::string(X509_verify_cert_error_string(
                                    result == X509_V_OK ? X509_V_ERR_UNSPECIFIED : result)) +
                                ")";
        if (!client) {
            return head + "the client's " + why +
                   " — PYRO_SSL_CACERTS of this server must hold the CA that signed the client's "
                   "certificate";
        }
        if (result == X509_V_ERR_HOSTNAME_MISMATCH || result == X509_V_ERR_IP_ADDRESS_MISMATCH) {
            return head + why + " — the server's certificate is not for '" + server_name_ +
                   "'; connect with a host name or address its certificate names "
                   "(subjectAltName)";
        }
        if (result == X509_V_ERR_CERT_HAS_EXPIRED || result == X509_V_ERR_CERT_NOT_YET_VALID) {
            return head + why + " — the server needs a certificate valid today";
        }
        return head + why +
               " — set PYRO_SSL_CACERTS to the CA that signed the server's certificate";
    }
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_HTTP_REQUEST:
    case SSL_R_UNSUPPORTED_PROTOCOL:
        return head + reason_text(error) +
               (client ? " — the server does not speak SSL: start it with PYRO_SSL=1 (and its "
                         "certificate), or unset PYRO_SSL here"
                       : " — the client does not speak SSL: give it PYRO_SSL=1 (and "
                         "PYRO_SSL_CACERTS)");
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
        return head +
               (client ? "the server requires a client certificate (SSL_REQUIRECLIENTCERT) — set "
                         "PYRO_SSL_CLIENTCERT and PYRO_SSL_CLIENTKEY"
                       : "the client sent no certificate, and PYRO_SSL_REQUIRECLIENTCERT is on — "
                         "give the client PYRO_SSL_CLIENTCERT and PYRO_SSL_CLIENTKEY");
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
        return head + "the " + (client ? "server" : "client") + " rejected this program's " +
               "certificate (" + reason_text(error) + ") — its PYRO_SSL_CACERTS must hold the CA " +
               "that signed " + (client ? "PYRO_SSL_CLIENTCERT" : "PYRO_SSL_SERVERCERT");
    default:
        return head + reason_text(error);
    }
}

} // namespace pyro::detail
