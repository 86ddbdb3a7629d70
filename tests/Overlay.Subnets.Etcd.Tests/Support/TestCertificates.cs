using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Overlay.Testing;

namespace Overlay.Subnets.Etcd.Tests.Support;

/// <summary>Makes a throw-away CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files.</summary>
public static class TestCertificates
{
    public static EtcdTls Create(string directory)
    {
        using ECDsa caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Overlay test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        string caFile = Write(directory, "ca.pem", ca.ExportCertificatePem());
        (string serverCert, string serverKey) = Issue(directory, "server", ca, caKey, server: true);
        (string clientCert, string clientKey) = Issue(directory, "client", ca, caKey, server: false);
        return new EtcdTls(caFile, serverCert, serverKey, clientCert, clientKey);
    }

    private static (string Cert, string Key) Issue(string directory, string name, X509Certificate2 ca, ECDsa caKey, bool server)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=ovl-{name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [server ? new Oid("1.3.6.1.5.5.7.3.1") : new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (server)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
            request.CertificateExtensions.Add(san.Build());
        }

        DateTimeOffset now = DateTimeOffset.UtcNow;
        byte[] serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7f;
        using X509Certificate2 certificate = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), now.AddMinutes(-5), now.AddDays(1), serial);
        return (Write(directory, name + ".pem", certificate.ExportCertificatePem()),
                Write(directory, name + "-key.pem", key.ExportPkcs8PrivateKeyPem()));
    }

    private static string Write(string directory, string name, string pem)
    {
        string path = Path.Combine(directory, name);
        File.WriteAllText(path, pem);
        return path;
    }
}
