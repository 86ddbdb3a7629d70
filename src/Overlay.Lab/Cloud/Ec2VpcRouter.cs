using System.Net;
using Overlay.Netlink;

namespace Overlay.Lab.Cloud;

/// <summary>
/// Plays the VPC router in a lab: a loop that reads one of the <see cref="Ec2Double"/>'s route tables and
/// mirrors its active ENI routes inside <see cref="Network"/> into a namespace (the lab's router) as kernel
/// routes via the ENI's private address, tagged with <see cref="RouteProtocol"/>; routes the table no longer
/// has are removed. So a pod packet that reaches the router is forwarded exactly as the table says.
/// </summary>
public sealed class Ec2VpcRouter : IAsyncDisposable
{
    /// <summary>The route protocol the router's mirrored routes carry.</summary>
    public const byte RouteProtocol = 0xAE;

    private readonly Ec2Double _ec2;
    private readonly string _routeTableId;
    private readonly NetworkNamespace _namespace;
    private readonly TimeSpan _period;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly SemaphoreSlim _syncGate = new(1, 1);
    private int _syncs;

    private Ec2VpcRouter(Ec2Double ec2, string routeTableId, string routerNamespace, IPNetwork network, TimeSpan period)
    {
        _ec2 = ec2;
        _routeTableId = routeTableId;
        _namespace = NetworkNamespace.Open(routerNamespace);
        Network = network;
        _period = period;
        _loop = LoopAsync();
    }

    /// <summary>Only table routes inside this prefix are mirrored.</summary>
    public IPNetwork Network { get; }

    /// <summary>How many synchronisations ran.</summary>
    public int Syncs => Volatile.Read(ref _syncs);

    /// <summary>The last synchronisation's error, or null.</summary>
    public Exception? LastError { get; private set; }

    /// <summary>Starts mirroring.</summary>
    /// <param name="ec2">The EC2 double.</param>
    /// <param name="routeTableId">The table to follow.</param>
    /// <param name="routerNamespace">The namespace that forwards (for example <see cref="NamespaceLab.Router"/>).</param>
    /// <param name="network">The prefix whose routes are mirrored (the flannel Network).</param>
    /// <param name="period">How often the table is read.</param>
    /// <returns>The running router.</returns>
    public static Ec2VpcRouter Start(Ec2Double ec2, string routeTableId, string routerNamespace, IPNetwork network, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(ec2);
        ArgumentException.ThrowIfNullOrWhiteSpace(routeTableId);
        ArgumentException.ThrowIfNullOrWhiteSpace(routerNamespace);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        return new Ec2VpcRouter(ec2, routeTableId, routerNamespace, network, period);
    }

    /// <summary>Mirrors the table once now.</summary>
    /// <param name="cancellationToken">Cancels the sync.</param>
    /// <returns>How many kernel routes the router holds for the table.</returns>
    public async Task<int> SyncAsync(CancellationToken cancellationToken = default)
    {
        await _syncGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var desired = new Dictionary<IPNetwork, IPAddress>();
            foreach (Ec2Route route in _ec2.Routes(_routeTableId))
            {
                if (route.State != "active" || route.NetworkInterfaceId is null || !IPNetwork.TryParse(route.DestinationCidrBlock, out IPNetwork destination)
                    || destination.PrefixLength < Network.PrefixLength || !Network.Contains(destination.BaseAddress))
                {
                    continue;
                }

                if (_ec2.Lookup(_routeTableId, destination.BaseAddress) is { } nextHop)
                {
                    desired[destination] = nextHop;
                }
            }

            using NetlinkClient netlink = _namespace.OpenNetlinkClient();
            var existing = new Dictionary<IPNetwork, Route>();
            await foreach (Route route in netlink.RoutesAsync(new RouteFilter { Protocol = RouteProtocol }, cancellationToken).ConfigureAwait(false))
            {
                if (route.Destination is { } d)
                {
                    existing[d] = route;
                }
            }

            foreach ((IPNetwork destination, IPAddress nextHop) in desired)
            {
                if (!existing.TryGetValue(destination, out Route? have) || !nextHop.Equals(have.Gateway))
                {
                    await netlink.RouteReplaceAsync(new Route { Destination = destination, Gateway = nextHop, Protocol = RouteProtocol }, cancellationToken).ConfigureAwait(false);
                }
            }

            foreach ((IPNetwork destination, Route route) in existing.Where(e => !desired.ContainsKey(e.Key)))
            {
                await netlink.RouteDeleteAsync(route, cancellationToken).ConfigureAwait(false);
            }

            Interlocked.Increment(ref _syncs);
            LastError = null;
            return desired.Count;
        }
        finally
        {
            _syncGate.Release();
        }
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await SyncAsync(_stop.Token).ConfigureAwait(false);
                await Task.Delay(_period, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or KeyNotFoundException)
            {
                LastError = ex;
                try
                {
                    await Task.Delay(_period, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Stops mirroring (the routes stay; they go with the namespace).</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _namespace.Dispose();
        _stop.Dispose();
        _syncGate.Dispose();
    }
}
