using Overlay.Testing;

namespace Overlay.Subnets.Etcd.Tests.Support;

/// <summary>
/// One private etcd per test class. When etcd is not installed the tests fail under CI=true (it
/// must be installed there: test.sh does it) and are skipped with the reason otherwise.
/// </summary>
public class EtcdFixture : IAsyncLifetime
{
    private EtcdServer? _server;
    private Exception? _startFailure;

    public EtcdServer Server
    {
        get
        {
            if (_server is not null)
            {
                return _server;
            }

            string reason = EtcdServer.MissingReason ?? $"etcd did not start: {_startFailure?.Message}";
            if (EtcdServer.MissingReason is not null && Environment.GetEnvironmentVariable("CI") != "true")
            {
                Assert.Skip(reason + "; run ./test.sh as root, or apt-get install etcd-server etcd-client");
            }

            throw new InvalidOperationException(reason);
        }
    }

    protected virtual Func<string, EtcdTls>? Tls => null;

    public async ValueTask InitializeAsync()
    {
        if (EtcdServer.MissingReason is not null)
        {
            return;
        }

        try
        {
            _server = await EtcdServer.StartAsync(Tls);
        }
        catch (Exception ex)
        {
            _startFailure = ex;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}

/// <summary>An etcd that requires TLS with client certificates, made at run time by <see cref="TestCertificates"/>.</summary>
public sealed class TlsEtcdFixture : EtcdFixture
{
    protected override Func<string, EtcdTls>? Tls => TestCertificates.Create;
}
