using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Backends.IPIP.Internal;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Backends.IPIP.Tests;

/// <summary>The kernel-mode device against the recording fake kernel: the registration sequence of spec §4 request by request, and the repair decisions.</summary>
public sealed class IPIPDeviceTests
{
    private static readonly NetworkConfig Config = NetworkConfig.Parse("{\"Network\":\"198.19.0.0/16\",\"Backend\":{\"Type\":\"ipip\"}}");
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IPIPDevice Device(FakeIPIPKernel kernel, string local = "198.18.1.1") =>
        new(kernel, "flannel.ipip", IPAddress.Parse(local), 1480, Config, NullLogger.Instance);

    [Fact]
    public async Task Registration_sequence_is_link_mtu_then_after_the_lease_the_32_address_and_up()
    {
        var kernel = new FakeIPIPKernel();
        IPIPDevice device = Device(kernel);
        Assert.True(await device.EnsureAsync(Ct));          // before the lease: the probe creates the device
        device.Subnet = IPNetwork.Parse("198.19.3.0/24");
        Assert.False(await device.EnsureAsync(Ct));         // after the lease
        Assert.Equal(
        [
            "link get flannel.ipip",
            "link add flannel.ipip type ipip local 198.18.1.1 remote any ttl 0 tos 0 pmtudisc off",
            "link set 7 mtu 1480",
            "link get flannel.ipip",
            "addr list 7",
            "addr add 198.19.3.0/32 dev 7",
            "link set 7 up",
        ], kernel.Requests);
    }

    [Fact]
    public async Task A_device_that_fits_is_adopted_without_changes()
    {
        var kernel = new FakeIPIPKernel();
        kernel.AddLink("flannel.ipip", "ipip", new IPIPLinkSpec { Name = "flannel.ipip", Local = IPAddress.Parse("198.18.1.1"), Ttl = 0, PathMtuDiscovery = false });
        kernel.Addresses[7] = [new LinkAddress { InterfaceIndex = 7, Address = IPAddress.Parse("198.19.3.0"), PrefixLength = 32 }];
        IPIPDevice device = Device(kernel);
        device.Subnet = IPNetwork.Parse("198.19.3.0/24");
        Assert.True(await device.EnsureAsync(Ct));          // index learnt (0 → 7): peers must be planned for it
        kernel.Requests.Clear();
        Assert.False(await device.EnsureAsync(Ct));
        Assert.Equal(["link get flannel.ipip", "addr list 7"], kernel.Requests);
    }

    [Fact]
    public async Task Our_device_with_the_wrong_local_is_recreated()
    {
        var kernel = new FakeIPIPKernel();
        kernel.AddLink("flannel.ipip", "ipip", new IPIPLinkSpec { Name = "flannel.ipip", Local = IPAddress.Parse("198.18.9.9") });
        IPIPDevice device = Device(kernel);
        Assert.True(await device.EnsureAsync(Ct));
        Assert.Equal("link del 7", kernel.Requests[1]);
        Assert.StartsWith("link add flannel.ipip type ipip local 198.18.1.1", kernel.Requests[2], StringComparison.Ordinal);
        Assert.Equal(8, device.Index);
    }

    [Fact]
    public async Task Our_device_with_a_remote_is_recreated()
    {
        var kernel = new FakeIPIPKernel();
        kernel.AddLink("flannel.ipip", "ipip", new IPIPLinkSpec { Name = "flannel.ipip", Local = IPAddress.Parse("198.18.1.1"), Remote = IPAddress.Parse("198.18.1.2") });
        Assert.True(await Device(kernel).EnsureAsync(Ct));
        Assert.Contains("link del 7", kernel.Requests);
    }

    [Fact]
    public async Task A_device_of_another_kind_is_an_error_naming_it_and_is_never_deleted()
    {
        var kernel = new FakeIPIPKernel();
        kernel.AddLink("flannel.ipip", "dummy");
        NetworkRegistrationException ex = await Assert.ThrowsAsync<NetworkRegistrationException>(() => Device(kernel).EnsureAsync(Ct).AsTask());
        Assert.Contains("flannel.ipip", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'dummy'", ex.Message, StringComparison.Ordinal);
        Assert.False(ex.IsTransient);
        Assert.DoesNotContain(kernel.Requests, r => r.StartsWith("link del", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_deleted_device_is_created_again_with_its_mtu_address_and_up()
    {
        var kernel = new FakeIPIPKernel();
        IPIPDevice device = Device(kernel);
        device.Subnet = IPNetwork.Parse("198.19.3.0/24");
        await device.EnsureAsync(Ct);
        await kernel.LinkDeleteAsync(7, Ct);
        kernel.Requests.Clear();
        Assert.True(await device.EnsureAsync(Ct));
        Assert.Equal(
        [
            "link get flannel.ipip",
            "link add flannel.ipip type ipip local 198.18.1.1 remote any ttl 0 tos 0 pmtudisc off",
            "link set 8 mtu 1480",
            "addr list 8",
            "addr add 198.19.3.0/32 dev 8",
            "link set 8 up",
        ], kernel.Requests);
    }

    [Fact]
    public async Task Other_overlay_addresses_are_removed_and_a_wrong_mtu_corrected()
    {
        var kernel = new FakeIPIPKernel();
        kernel.AddLink("flannel.ipip", "ipip", new IPIPLinkSpec { Name = "flannel.ipip", Local = IPAddress.Parse("198.18.1.1") }, mtu: 1400);
        kernel.Addresses[7] =
        [
            new LinkAddress { InterfaceIndex = 7, Address = IPAddress.Parse("198.19.9.0"), PrefixLength = 32 },
            new LinkAddress { InterfaceIndex = 7, Address = IPAddress.Parse("192.0.2.1"), PrefixLength = 24 },
        ];
        IPIPDevice device = Device(kernel);
        device.Subnet = IPNetwork.Parse("198.19.3.0/24");
        await device.EnsureAsync(Ct);
        Assert.Contains("link set 7 mtu 1480", kernel.Requests);
        Assert.Contains("addr del 198.19.9.0/32 dev 7", kernel.Requests);
        Assert.DoesNotContain("addr del 192.0.2.1/24 dev 7", kernel.Requests);
        Assert.Contains("addr add 198.19.3.0/32 dev 7", kernel.Requests);
    }
}
