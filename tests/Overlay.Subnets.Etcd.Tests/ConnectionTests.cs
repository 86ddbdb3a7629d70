using System.Net;
using System.Net.Sockets;
using Overlay.Subnets.Etcd.Tests.Support;

namespace Overlay.Subnets.Etcd.Tests;

/// <summary>Unreachable etcd, several endpoints, and the options.</summary>
[Trait("Category", "Etcd")]
public sealed class ConnectionTests(EtcdFixture fixture) : EtcdTestBase(fixture), IClassFixture<EtcdFixture>
{
    [Fact]
    public async Task Unreachable_etcd_fails_promptly_with_a_transient_error_that_says_what_it_waits_for()
    {
        string dead = DeadEndpoint();
        using var registry = new EtcdSubnetRegistry(new EtcdSubnetRegistryOptions { Endpoints = [dead], DialTimeout = TimeSpan.FromSeconds(1) }, Logs);

        SubnetRegistryException config = await Assert.ThrowsAsync<SubnetRegistryException>(async () => await registry.GetNetworkConfigAsync(Ct)).WaitAsync(HangGuard, Ct);
        Assert.True(config.IsTransient);
        Assert.Contains("etcd is unreachable", config.Message);
        Assert.Contains(dead, config.Message);

        SubnetRegistryException acquire = await Assert.ThrowsAsync<SubnetRegistryException>(async () =>
            await registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.1")), Ct)).WaitAsync(HangGuard, Ct);
        Assert.True(acquire.IsTransient);

        await using var watch = new WatchSession(registry.WatchLeasesAsync);
        SubnetRegistryException watchError = await Assert.ThrowsAsync<SubnetRegistryException>(watch.NextAsync).WaitAsync(HangGuard, Ct);
        Assert.True(watchError.IsTransient);
        Assert.Contains(Logs.Entries, e => e.EventId.Id == EtcdEventIds.EtcdUnreachable && e.Message.Contains("Waiting for etcd"));
    }

    [Fact]
    public async Task The_next_endpoint_is_used_when_the_first_does_not_answer()
    {
        string dead = DeadEndpoint();
        using EtcdSubnetRegistry registry = NewRegistry(o => o.Endpoints = [dead, Etcd.Endpoint]);
        await PutConfigAsync("{\"Network\":\"10.3.0.0/16\"}");
        Lease lease = await registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.1")), Ct);
        Assert.NotNull(await Etcd.GetAsync(SubnetKey(lease.Key)));
        Assert.Contains(Logs.Entries, e => e.EventId.Id == EtcdEventIds.EndpointFailed && e.Message.Contains(dead));
        Assert.Contains(Logs.Entries, e => e.EventId.Id == EtcdEventIds.InsecureEndpoint);

        await using WatchSession watch = Watch(registry);
        Assert.True((await watch.NextAsync()).IsSnapshot);
        await Etcd.PutAsync(SubnetKey("10.3.100.0-24"), "{\"PublicIP\":\"1.1.1.1\",\"PublicIPv6\":null}");
        Assert.Equal("10.3.100.0-24", Assert.Single((await watch.NextAsync()).Events).Lease.Key);
    }

    [Fact]
    public async Task Disposing_the_registry_ends_its_watches()
    {
        EtcdSubnetRegistry registry = NewRegistry();
        await PutConfigAsync("{\"Network\":\"10.3.0.0/16\"}");
        await using WatchSession watch = Watch(registry);
        Assert.True((await watch.NextAsync()).IsSnapshot);
        Task<LeaseEventBatch> next = watch.NextAsync();
        await Task.Delay(300, Ct);
        registry.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => next).WaitAsync(HangGuard, Ct);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await registry.GetNetworkConfigAsync(Ct));
    }

    [Theory]
    [InlineData("127.0.0.1:2379")]
    [InlineData("ftp://127.0.0.1:2379")]
    [InlineData("http://user:pw@127.0.0.1:2379")]
    [InlineData("user:pw@127.0.0.1:2379")]
    public void Bad_endpoints_are_rejected(string endpoint)
    {
        ArgumentException ex = Assert.Throws<ArgumentException>(() => new EtcdSubnetRegistryOptions { Endpoints = [endpoint] }.Validate());
        Assert.Equal("Endpoints", ex.ParamName);
        Assert.DoesNotContain("user:pw", ex.Message);
    }

    [Fact]
    public void Options_are_checked()
    {
        Assert.Throws<ArgumentNullException>(() => new EtcdSubnetRegistryOptions { Endpoints = null! }.Validate());
        new EtcdSubnetRegistryOptions { Endpoints = [] }.Validate(); // empty: flanneld's default endpoint
        Assert.Contains("Endpoints=http://127.0.0.1:2379,", new EtcdSubnetRegistryOptions().ToString());
        Assert.Throws<ArgumentException>(() => new EtcdSubnetRegistryOptions { Endpoints = ["http://127.0.0.1:2379", "etcd:2379"] }.Validate());
        Assert.Throws<ArgumentException>(() => new EtcdSubnetRegistryOptions { Prefix = "coreos.com" }.Validate());
        Assert.Throws<ArgumentException>(() => new EtcdSubnetRegistryOptions { Endpoints = ["https://127.0.0.1:2379"], CertificateFile = "c.pem" }.Validate());
        Assert.Throws<ArgumentException>(() => new EtcdSubnetRegistryOptions { CertificateFile = "c.pem", KeyFile = "k.pem" }.Validate()); // TLS needs https
        Assert.Throws<ArgumentException>(() => new EtcdSubnetRegistryOptions { Username = "root" }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new EtcdSubnetRegistryOptions { DialTimeout = TimeSpan.Zero }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new EtcdSubnetRegistryOptions { LeaseTtl = TimeSpan.FromMilliseconds(10) }.Validate());
        new EtcdSubnetRegistryOptions { Endpoints = ["http://a:2379", "https://b:2379"] }.Validate();
        Assert.Equal("/coreos.com/network", new EtcdSubnetRegistryOptions().Prefix);
    }

    [Fact]
    public void ToString_never_shows_the_password()
    {
        var options = new EtcdSubnetRegistryOptions { Username = "root", Password = "Pa55-w0rd-never-shown" };
        string text = options.ToString();
        Assert.DoesNotContain("Pa55-w0rd-never-shown", text);
        Assert.Contains("Username=root", text);
        Assert.Contains("Password=(set)", text);
    }

    [Fact]
    public void An_unreadable_key_file_is_reported_without_its_contents()
    {
        string directory = Directory.CreateTempSubdirectory("ovl-etcd-keys-").FullName;
        try
        {
            string cert = Path.Combine(directory, "c.pem");
            string key = Path.Combine(directory, "k.pem");
            File.WriteAllText(cert, "-----BEGIN CERTIFICATE-----\nU0VDUkVULUNFUlQtQ09OVEVOVA==\n-----END CERTIFICATE-----\n");
            File.WriteAllText(key, "SECRET-KEY-CONTENT");
            ArgumentException ex = Assert.Throws<ArgumentException>(() => new EtcdSubnetRegistry(new EtcdSubnetRegistryOptions
            {
                Endpoints = ["https://127.0.0.1:2379"], CertificateFile = cert, KeyFile = key,
            }));
            Assert.Contains(key, ex.Message);
            Assert.DoesNotContain("SECRET-KEY-CONTENT", ex.ToString());
            Assert.DoesNotContain("U0VDUkVULUNFUlQtQ09OVEVOVA", ex.ToString());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string DeadEndpoint()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
    }
}
