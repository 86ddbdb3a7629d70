using System.Text.Json;
using Overlay.Backends;
using Overlay.Backends.Reconcile;
using Overlay.Backends.Vxlan;
using Overlay.Lab;
using Overlay.Subnets;
using Overlay.Testing;

namespace Overlay.IntegrationTests;

/// <summary>A lab with a vxlan agent on every node, shared by the vxlan test classes; disposes everything, also on failure.</summary>
internal sealed class VxlanLab : IAsyncDisposable
{
    private VxlanLab(NamespaceLab lab, InMemorySubnetRegistry registry, string backendJson, bool v4, bool v6)
    {
        Lab = lab;
        Registry = registry;
        BackendJson = backendJson;
        V4 = v4;
        V6 = v6;
    }

    public NamespaceLab Lab { get; }

    public InMemorySubnetRegistry Registry { get; }

    public string BackendJson { get; }

    public bool V4 { get; }

    public bool V6 { get; }

    public List<LabAgent> Agents { get; } = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static NetworkConfig Config(bool v4, bool v6, string backend, string network = "198.19.0.0/16", string network6 = "2001:db8:19::/48") => NetworkConfig.Parse(
        "{\"Network\":\"" + network + "\",\"EnableIPv4\":" + (v4 ? "true" : "false") + ",\"EnableIPv6\":" + (v6 ? "true" : "false")
        + ",\"IPv6Network\":\"" + network6 + "\",\"Backend\":" + backend + "}");

    public static async Task<VxlanLab> StartAsync(bool v4, bool v6, string backend, LabOptions? options = null, ReconcileOptions? reconcile = null, Func<NamespaceLab, Task>? beforeAgents = null,
        string network = "198.19.0.0/16")
    {
        Privileged.Require();
        NamespaceLab lab = await NamespaceLab.CreateAsync(options ?? new LabOptions(), Ct);
        var result = new VxlanLab(lab, new InMemorySubnetRegistry(Config(v4, v6, backend, network)), backend, v4, v6);
        try
        {
            if (beforeAgents is not null)
            {
                await beforeAgents(lab);
            }

            foreach (LabNode node in lab.Nodes)
            {
                result.Agents.Add(await result.StartAgentAsync(node, reconcile));
            }

            // Every node knows every other node before the test starts.
            foreach (LabAgent agent in result.Agents)
            {
                await Privileged.EventuallyAsync(() => Task.FromResult(agent.Network.Peers.Count == lab.Nodes.Count - 1 && agent.Network.Peers.All(p => p.IsHealthy)),
                    $"{agent.Node.Namespace} has programmed every peer");
            }

            return result;
        }
        catch
        {
            await result.DisposeAsync();
            throw;
        }
    }

    public Task<LabAgent> StartAgentAsync(LabNode node, ReconcileOptions? reconcile = null) =>
        LabAgent.StartAsync(node, Registry, new VxlanBackend(), reconcile, cancellationToken: Ct);

    public static async Task<JsonElement> LinkAsync(LabNode node, string device)
    {
        string json = await node.IpAsync("-j", "-d", "link", "show", "dev", device);
        return JsonDocument.Parse(json).RootElement[0].Clone();
    }

    public static async Task<IReadOnlyList<JsonElement>> NeighborsAsync(LabNode node, string device)
    {
        string json = await node.IpAsync("-j", "neigh", "show", "dev", device);
        return [.. JsonDocument.Parse(json).RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    public static async Task<IReadOnlyList<JsonElement>> FdbAsync(LabNode node, string device)
    {
        string json = await Shell.RunAsync("bridge", ["-n", node.Namespace, "-j", "fdb", "show", "dev", device]);
        return [.. JsonDocument.Parse(json).RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    /// <summary>ICMP both ways between every pair of pods over the enabled families.</summary>
    public async Task AssertAllPairsPingAsync()
    {
        foreach (LabAgent a in Agents)
        {
            foreach (LabAgent b in Agents.Where(b => b != a))
            {
                if (V4)
                {
                    Assert.True(await a.Node.PingUntilAsync(b.Node.PodAddress!, a.Node.PodAddress, cancellationToken: Ct) is not null, $"{a.Node.PodAddress} -> {b.Node.PodAddress}");
                }

                if (V6)
                {
                    Assert.True(await a.Node.PingUntilAsync(b.Node.PodAddressV6!, a.Node.PodAddressV6, cancellationToken: Ct) is not null, $"{a.Node.PodAddressV6} -> {b.Node.PodAddressV6}");
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (LabAgent agent in Agents)
        {
            try
            {
                await agent.DisposeAsync();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        Registry.Dispose();
        await Lab.DisposeAsync();
    }
}
