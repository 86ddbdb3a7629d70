using Overlay.Subnets.Etcd.Tests.Support;

namespace Overlay.Subnets.Etcd.Tests;

/// <summary>etcd user/password authentication; the password never leaks.</summary>
[Trait("Category", "Etcd")]
public sealed class AuthTests(EtcdFixture fixture) : EtcdTestBase(fixture), IClassFixture<EtcdFixture>
{
    private const string Password = "Ovl-S3cret-pw-4711";
    private const string WrongPassword = "Ovl-Wr0ng-pw-0815";

    [Fact]
    public async Task Username_and_password_work_and_never_appear_in_logs_or_errors()
    {
        await EnableAuthAsync();
        using EtcdSubnetRegistry registry = NewRegistry(o => (o.Username, o.Password) = ("root", Password));
        await PutConfigAsync("{\"Network\":\"10.3.0.0/16\"}");
        Lease lease = await registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.1")), Ct);
        await registry.RenewLeaseAsync(lease, Ct);
        await using (WatchSession watch = Watch(registry))
        {
            Assert.True((await watch.NextAsync()).IsSnapshot);
        }

        Assert.Contains(Logs.Entries, e => e.EventId.Id == EtcdEventIds.Authenticated);

        using EtcdSubnetRegistry wrong = NewRegistry(o => (o.Username, o.Password) = ("root", WrongPassword));
        SubnetRegistryException refused = await Assert.ThrowsAsync<SubnetRegistryException>(async () => await wrong.GetNetworkConfigAsync(Ct));
        Assert.False(refused.IsTransient);
        Assert.Contains("did not accept user 'root'", refused.Message);

        using EtcdSubnetRegistry anonymous = NewRegistry();
        await Assert.ThrowsAsync<SubnetRegistryException>(async () => await anonymous.GetNetworkConfigAsync(Ct));

        string everything = Logs.AllText + refused + new EtcdSubnetRegistryOptions { Username = "root", Password = Password };
        Assert.DoesNotContain(Password, everything);
        Assert.DoesNotContain(WrongPassword, everything);
    }

    private async Task EnableAuthAsync()
    {
        if (Etcd.CtlUser is not null)
        {
            return;
        }

        await Etcd.CtlAsync("user", "add", "root:" + Password);
        await Etcd.CtlAsync("auth", "enable");
        Etcd.CtlUser = "root:" + Password;
    }
}
