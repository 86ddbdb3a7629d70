using System.Net;
using System.Net.Sockets;
using Overlay.Netlink.Tests.Support;
using Overlay.Testing;

namespace Overlay.Netlink.Tests.Privileged;

[Trait("Category", "Privileged")]
public sealed class NamespaceTests
{
    [Fact]
    public void Created_namespace_is_visible_to_ip_netns_and_deleted_afterwards()
    {
        Testing.Privileged.Require();
        string name;
        using (var t = TestNamespace.Create())
        {
            name = t.Name;
            Assert.Contains(name, TestNamespace.Run("ip", "netns list"), StringComparison.Ordinal);
            Assert.True(NetworkNamespace.Exists(name));
        }

        Assert.False(NetworkNamespace.Exists(name));
        Assert.DoesNotContain(name, TestNamespace.Run("ip", "netns list"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_in_a_new_namespace_sees_only_its_loopback()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        var links = await t.Client.LinksAsync(TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);
        Link lo = Assert.Single(links);
        Assert.Equal("lo", lo.Name);
        Assert.Equal(t.IpJson("link show")[0].GetProperty("ifindex").GetInt32(), lo.Index);
    }

    [Fact]
    public async Task Anonymous_namespace_is_isolated_and_sockets_stay_in_it()
    {
        Testing.Privileged.Require();
        using NetworkNamespace ns = NetworkNamespace.CreateAnonymous();
        using NetlinkClient client = ns.OpenNetlinkClient();
        Link lo = Assert.Single(await client.LinksAsync(TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken));
        await client.LinkSetUpAsync(lo.Index, TestContext.Current.CancellationToken);
        await client.AddressAddAsync(new LinkAddress { InterfaceIndex = lo.Index, Address = IPAddress.Parse("198.18.0.1"), PrefixLength = 32 }, TestContext.Current.CancellationToken);
        // A UDP socket created in the namespace can bind the address that exists only there and reach itself.
        using Socket udp = ns.CreateSocket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Parse("198.18.0.1"), 0));
        await udp.SendToAsync(new byte[] { 42 }, udp.LocalEndPoint!, TestContext.Current.CancellationToken);
        byte[] buffer = new byte[4];
        int received = await udp.ReceiveAsync(buffer, TestContext.Current.CancellationToken);
        Assert.Equal(1, received);
        Assert.Equal(42, buffer[0]);
    }

    [Fact]
    public void Run_executes_inside_the_namespace_on_another_thread()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        string inside = t.Namespace.Run(() => File.ReadAllText("/proc/thread-self/net/dev"));
        int callerThread = Environment.CurrentManagedThreadId;
        int runThread = t.Namespace.Run(() => Environment.CurrentManagedThreadId);
        Assert.NotEqual(callerThread, runThread);
        // Only lo exists inside; the namespace inode differs from ours.
        Assert.Single(inside.Split("\n"), l => l.Contains(':', StringComparison.Ordinal));
        string ours = File.ResolveLinkTarget("/proc/thread-self/ns/net", false)!.ToString();
        string theirs = t.Namespace.Run(() => File.ResolveLinkTarget("/proc/thread-self/ns/net", false)!.ToString());
        Assert.NotEqual(ours, theirs);
    }

    [Fact]
    public void Sysctl_write_changes_only_the_namespace()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        string hostBefore = Sysctl.Read("net.ipv4.ip_forward");
        string other = hostBefore == "1" ? "0" : "1";
        Sysctl.Write("net.ipv4.ip_forward", other, t.Namespace);
        Assert.Equal(other, Sysctl.Read("net.ipv4.ip_forward", t.Namespace));
        Assert.Equal(other, t.Exec("cat /proc/sys/net/ipv4/ip_forward").Trim());
        Assert.Equal(hostBefore, Sysctl.Read("net.ipv4.ip_forward"));
    }

    [Fact]
    public void Sysctl_slash_form_handles_interface_names_with_dots()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        t.Ip("link add flannel.1 type vxlan id 1 dstport 4789");
        Sysctl.Write("net/ipv6/conf/flannel.1/accept_ra", 0, t.Namespace);
        Assert.Equal("0", t.Exec("cat /proc/sys/net/ipv6/conf/flannel.1/accept_ra").Trim());
        Sysctl.Write("net/ipv6/conf/flannel.1/accept_ra", 2, t.Namespace);
        Assert.Equal("2", Sysctl.Read("net/ipv6/conf/flannel.1/accept_ra", t.Namespace));
    }
}
