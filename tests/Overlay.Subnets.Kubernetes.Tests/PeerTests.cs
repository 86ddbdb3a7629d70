using System.Diagnostics;
using System.Net;
using Overlay.Subnets.Kubernetes.Tests.Support;

namespace Overlay.Subnets.Kubernetes.Tests;

/// <summary>Peers: the node informer's lease events, checked against changes made with kubectl and the double.</summary>
public sealed class PeerTests : KubeTestBase
{
    [Fact]
    public async Task ANodeAnnotatedByKubectlAsFlanneldDoesBecomesAPeer()
    {
        Server.AddNode("n1", ["10.244.1.0/24"], new Dictionary<string, string>());
        Server.AddNode("n2", ["10.244.2.0/24"], new Dictionary<string, string>());
        LeaseWatch watch = Watch(CreateRegistry("n1"));
        Assert.Empty((await watch.NextAsync()).Events); // no flannel node yet

        await Kubectl.RunAsync("annotate", "node", "n2",
            Prefix + "backend-type=vxlan",
            Prefix + "backend-data={\"VNI\":1,\"VtepMAC\":\"52:54:00:aa:bb:02\"}",
            Prefix + "public-ip=198.18.0.2",
            Prefix + "kube-subnet-manager=true");

        List<LeaseEvent> events = await watch.EventsUntilAsync(_ => true);
        LeaseEvent e = Assert.Single(events);
        Assert.Equal(LeaseEventKind.Added, e.Kind);
        Assert.Equal(IPNetwork.Parse("10.244.2.0/24"), e.Lease.Subnet);
        Assert.Equal(IPAddress.Parse("198.18.0.2"), e.Lease.Attributes.PublicIP);
        Assert.Equal("vxlan", e.Lease.Attributes.BackendType);
        Assert.Equal("""{"VNI":1,"VtepMAC":"52:54:00:aa:bb:02"}""", e.Lease.Attributes.BackendData!.Value.GetRawText());
    }

    [Fact]
    public async Task NodesAddedUpdatedAndRemovedAreLeaseEvents()
    {
        Server.AddNode("n1", ["10.244.1.0/24"], FlannelAnnotations("198.18.0.1"));
        LeaseWatch watch = Watch(CreateRegistry("n1"));
        LeaseEventBatch snapshot = await watch.NextAsync();
        Assert.True(snapshot.IsSnapshot);
        Assert.Single(snapshot.Events);

        Server.AddNode("n2", ["10.244.2.0/24"], FlannelAnnotations("198.18.0.2"));
        Assert.Equal([(LeaseEventKind.Added, "10.244.2.0-24")], Summary(await watch.EventsUntilAsync(_ => true)));

        // A node without the marker annotation is no peer.
        Server.AddNode("plain", ["10.244.9.0/24"], new Dictionary<string, string> { [Prefix + "public-ip"] = "198.18.0.9" });

        await Kubectl.RunAsync("annotate", "--overwrite", "node", "n2", Prefix + "public-ip=198.18.0.22");
        LeaseEvent changed = Assert.Single(await watch.EventsUntilAsync(_ => true));
        Assert.Equal(IPAddress.Parse("198.18.0.22"), changed.Lease.Attributes.PublicIP);

        // A pod CIDR change alone is an event: the old lease goes, the new one comes.
        Server.SetPodCidrs("n2", "10.244.12.0/24");
        Assert.Equal([(LeaseEventKind.Removed, "10.244.2.0-24"), (LeaseEventKind.Added, "10.244.12.0-24")],
            Summary(await watch.EventsUntilAsync(e => e.Kind == LeaseEventKind.Added)));

        await Kubectl.RunAsync("delete", "node", "n2");
        Assert.Equal([(LeaseEventKind.Removed, "10.244.12.0-24")], Summary(await watch.EventsUntilAsync(_ => true)));

        // Unmarking a node removes it as well.
        Server.AddNode("n3", ["10.244.3.0/24"], FlannelAnnotations("198.18.0.3"));
        await watch.EventsUntilAsync(_ => true);
        await Kubectl.RunAsync("annotate", "--overwrite", "node", "n3", Prefix + "kube-subnet-manager=false");
        Assert.Equal([(LeaseEventKind.Removed, "10.244.3.0-24")], Summary(await watch.EventsUntilAsync(_ => true)));
    }

    [Fact]
    public async Task InDualStackAChangeOfOneFamilyIsAnEvent()
    {
        var annotations = FlannelAnnotations("198.18.0.2");
        annotations[Prefix + "backend-v6-data"] = $$"""{"VNI":1,"VtepMAC":"{{Mac6}}"}""";
        annotations[Prefix + "public-ipv6"] = "2001:db8::2";
        Server.AddNode("n2", ["10.244.2.0/24", "2001:db8:244:2::/64"], annotations);
        LeaseWatch watch = Watch(CreateRegistry("n1", DualConfig));
        Lease peer = Assert.Single((await watch.NextAsync()).Events).Lease;
        Assert.Equal(IPNetwork.Parse("2001:db8:244:2::/64"), peer.IPv6Subnet);

        await Kubectl.RunAsync("annotate", "--overwrite", "node", "n2", Prefix + "public-ipv6=2001:db8::22");
        LeaseEvent e = Assert.Single(await watch.EventsUntilAsync(_ => true));
        Assert.Equal(IPAddress.Parse("2001:db8::22"), e.Lease.Attributes.PublicIPv6);
    }

    [Fact]
    public async Task TheOwnNodeDeletedOrRenumberedIsTheOwnLeaseRemoved()
    {
        Server.AddNode("n1", ["10.244.1.0/24"], new Dictionary<string, string>());
        KubernetesSubnetRegistry registry = CreateRegistry("n1");
        Lease own = await registry.AcquireLeaseAsync(new LeaseRequest(VxlanAttributes()), TestContext.Current.CancellationToken);
        LeaseWatch watch = Watch(registry);
        Assert.Equal(own.Key, Assert.Single((await watch.NextAsync()).Events).Lease.Key);

        Server.SetPodCidrs("n1", "10.244.31.0/24");
        Assert.Equal([(LeaseEventKind.Removed, own.Key), (LeaseEventKind.Added, "10.244.31.0-24")],
            Summary(await watch.EventsUntilAsync(e => e.Kind == LeaseEventKind.Added)));

        await Kubectl.RunAsync("delete", "node", "n1");
        Assert.Equal([(LeaseEventKind.Removed, "10.244.31.0-24")], Summary(await watch.EventsUntilAsync(_ => true)));
    }

    [Fact]
    public async Task ADroppedWatchAnd410AreRelistedWithoutDuplicateOrLostEvents()
    {
        Server.AddNode("n1", ["10.244.1.0/24"], FlannelAnnotations("198.18.0.1"));
        Server.AddNode("n2", ["10.244.2.0/24"], FlannelAnnotations("198.18.0.2"));
        KubernetesSubnetRegistry registry = CreateRegistry("n1");
        LeaseWatch watch = Watch(registry);
        Assert.Equal(2, (await watch.NextAsync()).Events.Length);
        await WaitForAsync(() => Server.ActiveWatches == 1);

        // Dropped: changes made while the watch is down are found by the re-list, once.
        Server.DropWatches();
        Server.AddNode("n3", ["10.244.3.0/24"], FlannelAnnotations("198.18.0.3"));
        Server.UpdateNode("n2", n => n["metadata"]!["annotations"]![Prefix + "public-ip"] = "198.18.0.22");
        await WaitForAsync(() => registry.NodeListings >= 2 && Server.ActiveWatches == 1);

        // 410: the history is compacted and the open watch is told so.
        Server.Compact();
        Server.DeleteNode("n3");
        await WaitForAsync(() => registry.NodeListings >= 3 && Server.ActiveWatches == 1);

        // A sentinel after all of it: every event before it is exactly the expected ones.
        Server.AddNode("n9", ["10.244.9.0/24"], FlannelAnnotations("198.18.0.9"));
        List<LeaseEvent> events = await watch.EventsUntilAsync(e => e.Lease.Subnet == IPNetwork.Parse("10.244.9.0/24"));
        var summary = Summary(events);
        Assert.Equal(4, summary.Count);
        Assert.Contains((LeaseEventKind.Added, "10.244.3.0-24"), summary);
        Assert.Contains((LeaseEventKind.Added, "10.244.2.0-24"), summary);
        Assert.Equal((LeaseEventKind.Removed, "10.244.3.0-24"), summary[2]);
        Assert.Equal((LeaseEventKind.Added, "10.244.9.0-24"), summary[3]);
        Assert.Equal(IPAddress.Parse("198.18.0.22"), events.Single(e => e.Lease.Key == "10.244.2.0-24").Lease.Attributes.PublicIP);
        Assert.Equal(3, registry.NodeListings);
        Assert.Equal(3, Server.RequestCount("list", "nodes"));
    }

    [Fact]
    public async Task AThousandNodesAreListedAndWatched()
    {
        const int Count = 1000;
        for (int i = 0; i < Count; i++)
        {
            Server.AddNode($"node-{i:D4}", [$"10.244.{i / 250}.{i % 250}/32"], FlannelAnnotations($"198.18.{i / 250}.{i % 250 + 1}"));
        }

        long memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        var clock = Stopwatch.StartNew();
        KubernetesSubnetRegistry registry = CreateRegistry("node-0000", NetworkConfig.Parse("""{"Network":"10.244.0.0/16","Backend":{"Type":"vxlan"}}"""));
        LeaseWatch watch = Watch(registry);
        LeaseEventBatch snapshot = await watch.NextAsync(120);
        TimeSpan listed = clock.Elapsed;
        Assert.Equal(Count, snapshot.Events.Length);
        long memoryAfter = GC.GetTotalMemory(forceFullCollection: true);

        clock.Restart();
        for (int i = 0; i < Count; i++)
        {
            int n = i;
            Server.UpdateNode($"node-{i:D4}", node => node["metadata"]!["annotations"]![Prefix + "public-ip"] = $"198.18.{4 + n / 250}.{n % 250 + 1}");
        }

        int seen = 0;
        while (seen < Count)
        {
            seen += (await watch.NextAsync(120)).Events.Length;
        }

        TimeSpan watched = clock.Elapsed;
        Assert.Equal(Count, seen);
        Assert.Equal(1, Server.RequestCount("list", "nodes"));
        TestContext.Current.SendDiagnosticMessage(
            $"1000 nodes: listed and converted in {listed.TotalMilliseconds:F0} ms; 1000 MODIFIED events through the watch in {watched.TotalMilliseconds:F0} ms; managed heap +{(memoryAfter - memoryBefore) / 1024} KiB for the cache");
        TestContext.Current.TestOutputHelper?.WriteLine($"[kube-scale] listed={listed.TotalMilliseconds:F0}ms watched={watched.TotalMilliseconds:F0}ms heapDelta={(memoryAfter - memoryBefore) / 1024}KiB");
    }

    [Fact]
    public async Task AMalformedNodeIsSkippedNotAnError()
    {
        var bad = FlannelAnnotations("not-an-address");
        Server.AddNode("bad", ["10.244.4.0/24"], bad);
        var badData = FlannelAnnotations("198.18.0.5");
        badData[Prefix + "backend-data"] = "{not json";
        Server.AddNode("bad2", ["10.244.5.0/24"], badData);
        Server.AddNode("nocidr", null, FlannelAnnotations("198.18.0.6"));
        Server.AddNode("good", ["10.244.6.0/24"], FlannelAnnotations("198.18.0.7"));
        LeaseWatch watch = Watch(CreateRegistry("n1"));
        Assert.Equal("10.244.6.0-24", Assert.Single((await watch.NextAsync()).Events).Lease.Key);
    }

    private static List<(LeaseEventKind, string)> Summary(IEnumerable<LeaseEvent> events) => [.. events.Select(e => (e.Kind, e.Lease.Key))];
}
