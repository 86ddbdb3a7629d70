using Overlay.Subnets.Etcd.Tests.Support;
using Overlay.Testing;

namespace Overlay.Subnets.Etcd.Tests;

/// <summary>etcd with TLS and client-certificate authentication, certificates made at run time.</summary>
[Trait("Category", "Etcd")]
public sealed class TlsTests(TlsEtcdFixture fixture) : EtcdTestBase(fixture), IClassFixture<TlsEtcdFixture>
{
    [Fact]
    public async Task Client_certificate_TLS_with_a_private_CA_works()
    {
        EtcdTls tls = Etcd.Tls!;
        using EtcdSubnetRegistry registry = NewRegistry(o =>
        {
            o.CertificateFile = tls.ClientCertFile;
            o.KeyFile = tls.ClientKeyFile;
            o.CaFile = tls.CaFile;
        });
        await PutConfigAsync("{\"Network\":\"10.3.0.0/16\"}");
        Lease lease = await registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.1")), Ct);
        Assert.NotNull(await Etcd.GetAsync(SubnetKey(lease.Key)));

        await using WatchSession watch = Watch(registry);
        Assert.Equal(lease.Key, Assert.Single((await watch.NextAsync()).Events).Lease.Key);
        Assert.DoesNotContain(Logs.Entries, e => e.EventId.Id == EtcdEventIds.InsecureEndpoint);
    }

    [Fact]
    public async Task Without_a_client_certificate_the_server_refuses()
    {
        using EtcdSubnetRegistry registry = NewRegistry(o => o.CaFile = Etcd.Tls!.CaFile);
        await Assert.ThrowsAsync<SubnetRegistryException>(async () => await registry.GetNetworkConfigAsync(Ct)).WaitAsync(HangGuard, Ct);
    }

    [Fact]
    public async Task A_server_certificate_from_another_CA_is_not_trusted()
    {
        string other = Directory.CreateTempSubdirectory("ovl-etcd-otherca-").FullName;
        try
        {
            EtcdTls foreign = TestCertificates.Create(other);
            EtcdTls tls = Etcd.Tls!;
            using EtcdSubnetRegistry registry = NewRegistry(o =>
            {
                o.CertificateFile = tls.ClientCertFile;
                o.KeyFile = tls.ClientKeyFile;
                o.CaFile = foreign.CaFile;
            });
            await Assert.ThrowsAsync<SubnetRegistryException>(async () => await registry.GetNetworkConfigAsync(Ct)).WaitAsync(HangGuard, Ct);
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }
    }
}
