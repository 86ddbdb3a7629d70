using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Backends;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Lab;

/// <summary>
/// A minimal in-process agent for one lab node: chooses the external interface inside the node,
/// registers the backend's network against a shared registry, adds the pod bridge for the lease,
/// and runs the network until disposed. It knows no backend: the caller passes one. (The full agent,
/// with subnet.env, health and lease keeping, is Overlay.Hosting's; see
/// <see cref="LabNode.StartOverlayAgentAsync"/>.)
/// </summary>
public sealed class LabAgent : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _run = Task.CompletedTask;
    private bool _runObserved;

    private LabAgent(LabNode node, IOverlayNetwork network)
    {
        Node = node;
        Network = network;
    }

    /// <summary>The node.</summary>
    public LabNode Node { get; }

    /// <summary>The registered network.</summary>
    public IOverlayNetwork Network { get; }

    /// <summary>The network's run (for tests that expect it to fail; a failure seen through this is not rethrown by <see cref="DisposeAsync"/>).</summary>
    public Task Run
    {
        get
        {
            _runObserved = true;
            return _run;
        }
    }

    /// <summary>Starts an agent; returns once the network has programmed its first snapshot.</summary>
    /// <param name="node">The node to run on (discovery and the backend work inside its namespace).</param>
    /// <param name="registry">The subnet registry, typically shared by every node of the lab.</param>
    /// <param name="backend">The backend that registers the network.</param>
    /// <param name="reconcile">Reconcile settings for the backend; null for the defaults.</param>
    /// <param name="loggerFactory">Logging for the backend; null for none.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running agent; dispose it before the lab.</returns>
    public static async Task<LabAgent> StartAsync(LabNode node, ISubnetRegistry registry, IOverlayBackend backend,
        ReconcileOptions? reconcile = null, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(backend);
        NetworkConfig config = await registry.GetNetworkConfigAsync(cancellationToken).ConfigureAwait(false);
        ExternalInterface external;
        using (NetlinkClient netlink = NetlinkClient.Open(node.NetlinkOptions))
        {
            external = await ExternalInterfaceDiscovery.DiscoverAsync(netlink, new ExternalInterfaceOptions(), config.EnableIPv4, config.EnableIPv6, cancellationToken).ConfigureAwait(false);
        }

        var registration = new NetworkRegistration(config, external, registry)
        {
            NetlinkOptions = node.NetlinkOptions,
            Reconcile = reconcile ?? new ReconcileOptions(),
            LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance,
        };
        IOverlayNetwork network = await backend.RegisterNetworkAsync(registration, cancellationToken).ConfigureAwait(false);
        var agent = new LabAgent(node, network);
        try
        {
            await node.AddPodBridgeAsync(network.Lease, cancellationToken).ConfigureAwait(false);
            agent._run = Task.Run(() => network.RunAsync(agent._stop.Token), CancellationToken.None);
            await Task.WhenAny(network.Ready, agent._run).WaitAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            if (agent._run.IsFaulted)
            {
                await agent._run.ConfigureAwait(false);
            }

            await network.Ready.ConfigureAwait(false); // a network that failed before it was ready says why

            return agent;
        }
        catch
        {
            await agent.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops the network's loop and disposes it.</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _run.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception) when (_runObserved)
        {
            // The test looked at the run's failure itself.
        }

        await Network.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
