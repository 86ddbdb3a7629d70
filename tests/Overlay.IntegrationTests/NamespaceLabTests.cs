using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Overlay.Backends;
using Overlay.Lab;
using Overlay.Netlink;
using Overlay.Subnets;
using Overlay.Testing;

namespace Overlay.IntegrationTests;

/// <summary>The lab itself (Overlay.Lab builds it with netlink only), checked with iproute2 and
/// iputils as the independent oracle.</summary>
[Trait("Category", Privileged.Category)]
public sealed class NamespaceLabTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_routed_dual_stack_lab_has_the_documented_links_addresses_routes_and_sysctls()
    {
        Privileged.Require();
        await using NamespaceLab lab = await NamespaceLab.CreateAsync(new LabOptions { Nodes = 2, RoutedNodes = 1, IPv6 = true }, Ct);
        Assert.Equal(3, lab.Nodes.Count);
        Assert.NotNull(lab.Router);
        Assert.Equal([1, 1, 2], lab.Nodes.Select(n => n.Segment));
        Assert.Equal(["n1", "n2", "n3"], lab.Nodes.Select(n => n.Name));
        Assert.All(lab.Nodes, n => Assert.StartsWith($"ovl-{Environment.ProcessId}-", n.Namespace, StringComparison.Ordinal));
        string netns = (await Shell.RunAsync("ip", ["netns", "list"], cancellationToken: Ct));
        Assert.All([lab.Switch, lab.Router!, .. lab.Nodes.Select(n => n.Namespace)], ns => Assert.Contains(ns, netns, StringComparison.Ordinal));

        // The switch: br1 with p1, p2 and rt1; br2 with p3 and rt2; every port up.
        Assert.Equal(["p1", "p2", "rt1"], await PortsAsync(lab.Switch, "br1"));
        Assert.Equal(["p3", "rt2"], await PortsAsync(lab.Switch, "br2"));

        foreach (LabNode node in lab.Nodes)
        {
            string s = node.Segment.ToString(CultureInfo.InvariantCulture);
            string h = node.Host.ToString(CultureInfo.InvariantCulture);
            Assert.Equal(IPAddress.Parse($"198.18.{s}.{h}"), node.Underlay);
            Assert.Equal(IPAddress.Parse($"2001:db8:18:{s}::{h}"), node.UnderlayV6);

            JsonElement eth0 = JsonDocument.Parse(await node.IpAsync("-j", "addr", "show", "dev", "eth0")).RootElement[0];
            Assert.Contains("UP", eth0.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
            JsonElement[] addresses = [.. eth0.GetProperty("addr_info").EnumerateArray()];
            Assert.Contains(addresses, a => a.Str("local") == $"198.18.{s}.{h}" && a.Str("prefixlen") == "24");
            Assert.Contains(addresses, a => a.Str("local") == $"2001:db8:18:{s}::{h}" && a.Str("prefixlen") == "64" && a.Str("nodad") == "True");
            Assert.Contains(await Privileged.RoutesAsync(node), r => r.Str("dst") == "default" && r.Str("gateway") == $"198.18.{s}.254" && r.Str("dev") == "eth0");
            Assert.Contains(await Privileged.RoutesAsync(node, ipv6: true), r => r.Str("dst") == "default" && r.Str("gateway") == $"2001:db8:18:{s}::fe");
            JsonElement lo = JsonDocument.Parse(await node.IpAsync("-j", "link", "show", "dev", "lo")).RootElement[0];
            Assert.Contains("UP", lo.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));

            // sysctl(8) inside the namespace, the independent reader of what Sysctl.Write set.
            var (exit, stdout, stderr) = await node.ExecAsync(["sysctl", "-n", "net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding",
                "net.ipv6.conf.all.accept_dad", "net.ipv6.conf.default.accept_dad", "net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.rp_filter"], Ct);
            Assert.True(exit == 0, stderr);
            Assert.Equal(["1", "1", "0", "0", "0", "0"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }

        string router = await Shell.RunAsync("ip", ["-n", lab.Router!, "-j", "addr", "show"], cancellationToken: Ct);
        foreach (string address in new[] { "198.18.1.254", "198.18.2.254", "2001:db8:18:1::fe", "2001:db8:18:2::fe" })
        {
            Assert.Contains($"\"local\":\"{address}\"", router, StringComparison.Ordinal);
        }

        // Across the router, both families: our raw-socket echo, and iputils' ping as the oracle.
        LabNode a = lab.Nodes[0], c = lab.Nodes[2];
        Assert.True(await a.PingUntilAsync(c.Underlay, a.Underlay, cancellationToken: Ct) is not null, $"{a.Underlay} -> {c.Underlay}");
        Assert.True(await c.PingUntilAsync(a.UnderlayV6!, cancellationToken: Ct) is not null, $"{c.UnderlayV6} -> {a.UnderlayV6}");
        Assert.Equal(0, (await a.ExecAsync(["ping", "-c", "1", "-W", "2", "-n", "-q", c.Underlay.ToString()], Ct)).ExitCode);
        Assert.Equal(0, (await c.ExecAsync(["ping", "-c", "1", "-W", "2", "-n", "-q", a.UnderlayV6!.ToString()], Ct)).ExitCode);
    }

    [Fact]
    public async Task Ping_returns_the_round_trip_time_or_null_when_nothing_answers()
    {
        Privileged.Require();
        await using NamespaceLab lab = await NamespaceLab.CreateAsync(new LabOptions { Nodes = 2, IPv6 = true }, Ct);
        LabNode a = lab.Nodes[0], b = lab.Nodes[1];

        TimeSpan? rtt = await a.PingUntilAsync(b.Underlay, cancellationToken: Ct);
        Assert.NotNull(rtt);
        Assert.True(rtt > TimeSpan.Zero && rtt < TimeSpan.FromSeconds(2), $"{rtt}");
        Assert.NotNull(await a.PingUntilAsync(b.UnderlayV6!, a.UnderlayV6, cancellationToken: Ct));

        // Nobody has 198.18.1.99 (on-link, the neighbour never resolves), and without the default route
        // 198.19.250.1 has no route (the kernel refuses to send):
        // no answer within the attempts, reported as null, not as an exception.
        var stopwatch = Stopwatch.StartNew();
        Assert.Null(await a.PingUntilAsync(IPAddress.Parse("198.18.1.99"), a.Underlay, attempts: 2, timeout: TimeSpan.FromMilliseconds(300), Ct));
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(550), $"two attempts of 300 ms took {stopwatch.Elapsed}");
        using (NetlinkClient netlink = a.OpenNamespace().OpenNetlinkClient())
        {
            Assert.True(await netlink.RouteDeleteAsync(new Route { Gateway = IPAddress.Parse("198.18.1.254") }, Ct));
        }

        Assert.Null(await a.PingAsync(IPAddress.Parse("198.19.250.1"), timeout: TimeSpan.FromMilliseconds(300), cancellationToken: Ct));

        await Assert.ThrowsAsync<ArgumentException>(() => a.PingAsync(b.UnderlayV6!, a.Underlay, cancellationToken: Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.PingUntilAsync(b.Underlay, attempts: 0, cancellationToken: Ct));
    }

    [Fact]
    public async Task The_pod_bridge_gets_the_leases_first_addresses_and_an_overlay_agent_runs_on_the_node()
    {
        Privileged.Require();
        await using NamespaceLab lab = await NamespaceLab.CreateAsync(new LabOptions { Nodes = 1, IPv6 = true }, Ct);
        LabNode node = lab.Nodes[0];
        using var registry = new InMemorySubnetRegistry(NetworkConfig.Parse(
            """{"Network":"198.19.0.0/16","IPv6Network":"2001:db8:19::/48","EnableIPv6":true,"Backend":{"Type":"host-gw"}}"""));
        string state = Path.Combine(Path.GetTempPath(), "ovl-lab-test-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        try
        {
            // The options point the agent at the node: refusing others keeps it out of the host's namespace.
            Overlay.Hosting.OverlayAgentOptions options = node.CreateAgentOptions(state);
            Assert.Equal(Path.Combine(state, "n1", "subnet.env"), options.SubnetFilePath);
            Assert.Equal(node.Namespace, options.NetworkNamespace);
            await Assert.ThrowsAsync<ArgumentException>(() => node.StartOverlayAgentAsync(registry, new BackendRegistry(), new Overlay.Hosting.OverlayAgentOptions(), cancellationToken: Ct));

            Lease lease = await registry.AcquireLeaseAsync(new LeaseRequest(new LeaseAttributes { PublicIP = node.Underlay, PublicIPv6 = node.UnderlayV6 }), Ct);
            await node.AddPodBridgeAsync(lease, Ct);
            Assert.Equal(Offset(lease.Subnet!.Value.BaseAddress), node.PodAddress);
            Assert.Equal(Offset(lease.IPv6Subnet!.Value.BaseAddress), node.PodAddressV6);
            JsonElement cni0 = JsonDocument.Parse(await node.IpAsync("-j", "-d", "addr", "show", "dev", "cni0")).RootElement[0];
            Assert.Equal("bridge", cni0.GetProperty("linkinfo").Str("info_kind"));
            Assert.Contains("UP", cni0.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
            JsonElement[] addresses = [.. cni0.GetProperty("addr_info").EnumerateArray()];
            Assert.Contains(addresses, a => a.Str("local") == node.PodAddress!.ToString() && a.Str("prefixlen") == lease.Subnet.Value.PrefixLength.ToString(CultureInfo.InvariantCulture));
            Assert.Contains(addresses, a => a.Str("local") == node.PodAddressV6!.ToString() && a.Str("nodad") == "True");
        }
        finally
        {
            if (Directory.Exists(state))
            {
                Directory.Delete(state, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Disposing_deletes_every_namespace_of_the_lab_and_Keep_leaves_them()
    {
        Privileged.Require();
        NamespaceLab lab = await NamespaceLab.CreateAsync(new LabOptions { Nodes = 2, RoutedNodes = 1 }, Ct);
        string[] names = [lab.Switch, lab.Router!, .. lab.Nodes.Select(n => n.Namespace)];
        Assert.All(names, n => Assert.True(NetworkNamespace.Exists(n), n));
        await lab.DisposeAsync();
        await lab.DisposeAsync(); // idempotent
        Assert.DoesNotContain(lab.Prefix, await Shell.RunAsync("ip", ["netns", "list"], cancellationToken: Ct), StringComparison.Ordinal);

        NamespaceLab kept = await NamespaceLab.CreateAsync(new LabOptions { Nodes = 1, Keep = true }, Ct);
        string[] keptNames = [kept.Switch, kept.Nodes[0].Namespace];
        try
        {
            await kept.DisposeAsync();
            string list = await Shell.RunAsync("ip", ["netns", "list"], cancellationToken: Ct);
            Assert.All(keptNames, n => Assert.Contains(n, list, StringComparison.Ordinal));
            Assert.Contains("eth0", await Shell.RunAsync("ip", ["-n", keptNames[1], "link", "show"], cancellationToken: Ct), StringComparison.Ordinal);
        }
        finally
        {
            foreach (string name in keptNames)
            {
                NetworkNamespace.Delete(name);
            }
        }
    }

    [Fact]
    public async Task Stale_namespaces_of_a_gone_process_are_removed_and_a_live_processs_are_kept()
    {
        Privileged.Require();
        // A pid whose process has exited (and that no new process took at once: try again then).
        int gone = 0;
        for (int attempt = 0; attempt < 10 && (gone == 0 || Directory.Exists($"/proc/{gone}")); attempt++)
        {
            using Process exited = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
            await exited.WaitForExitAsync(Ct);
            gone = exited.Id;
        }

        Assert.False(Directory.Exists($"/proc/{gone}"), $"ten exited pids were all reused at once (last {gone})");
        string stale = $"ovl-{gone}-test-stale";
        string live = $"ovl-{Environment.ProcessId}-test-live";
        string other = $"ovl-x{gone}-test-other"; // not of the ovl-<pid>- form: never touched
        try
        {
            foreach (string name in new[] { stale, live, other })
            {
                NetworkNamespace.Create(name).Dispose();
            }

            // Any process creating a lab at the same time (another test here, another test run) may remove
            // the stale one first, so the effect is asserted, not the count.
            NamespaceLab.RemoveStale();
            string list = await Shell.RunAsync("ip", ["netns", "list"], cancellationToken: Ct);
            Assert.DoesNotContain(stale, list, StringComparison.Ordinal);
            Assert.Contains(live, list, StringComparison.Ordinal);
            Assert.Contains(other, list, StringComparison.Ordinal);
        }
        finally
        {
            foreach (string name in new[] { stale, live, other })
            {
                NetworkNamespace.Delete(name);
            }
        }
    }

    private static async Task<string[]> PortsAsync(string ns, string bridge)
    {
        JsonElement links = JsonDocument.Parse(await Shell.RunAsync("ip", ["-n", ns, "-j", "link", "show", "master", bridge], cancellationToken: Ct)).RootElement;
        Assert.All(links.EnumerateArray(), l => Assert.Contains("UP", l.GetProperty("flags").EnumerateArray().Select(f => f.GetString())));
        return [.. links.EnumerateArray().Select(l => l.Str("ifname")!).Order(StringComparer.Ordinal)];
    }

    private static IPAddress Offset(IPAddress address)
    {
        byte[] bytes = address.GetAddressBytes();
        bytes[^1]++;
        return new IPAddress(bytes);
    }
}
