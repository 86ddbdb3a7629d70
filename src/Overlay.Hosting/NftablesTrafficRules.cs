using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Backends;
using Overlay.Hosting.Internal;
using Overlay.Netlink;

namespace Overlay.Hosting;

/// <summary>
/// flannel's nftables mode over nf_tables netlink — no <c>nft</c> process:
/// tables <c>ip flannel-ipv4</c> / <c>ip6 flannel-ipv6</c>, base chains <c>forward</c> and
/// <c>postrtg</c>, one transaction (add table, add chain, flush chain, add rules) per family and rule
/// set. Unlike flanneld, which writes the rules once, the rules are repaired when an nf_tables
/// notification shows that they changed (a rule, a chain or the whole table deleted or altered);
/// there is no polling loop. A family gets rules when it is enabled in the configuration (flanneld
/// looks only at whether the family's network is set).
/// </summary>
public sealed class NftablesTrafficRules : ITrafficRules
{
    private readonly TrafficRulesOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private List<DesiredSet> _desired = [];
    private NetlinkClient? _client;
    private Task? _watch;
    private int _disposed;

    /// <summary>Creates the rules manager (nothing is installed until <see cref="ApplyAsync"/>).</summary>
    /// <param name="options">Settings.</param>
    /// <param name="loggerFactory">Logging.</param>
    public NftablesTrafficRules(TrafficRulesOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        _options = options ?? new TrafficRulesOptions();
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<NftablesTrafficRules>();
    }

    /// <summary>Raised (on the repair task) after rules that had changed were put back.</summary>
    public event EventHandler<TrafficRulesRepairedEventArgs>? Repaired;

    /// <inheritdoc/>
    public TrafficRulesMode Mode => TrafficRulesMode.NFTables;

    /// <summary>The number of repairs made so far.</summary>
    public int RepairCount { get; private set; }

    /// <summary>Replaces the notification stream (tests withhold notifications to show that nothing polls).</summary>
    internal Func<NetlinkClient, CancellationToken, IAsyncEnumerable<NetlinkNotification>>? NotificationSource { get; set; }

    /// <inheritdoc/>
    public async ValueTask<TrafficRulesResult> ApplyAsync(TrafficRulesRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        List<DesiredSet> desired = Plan(request, _options);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            NetlinkClient client = _client ??= NetlinkClient.Open(_options.NetlinkOptions);
            StartWatching(client); // subscribed before the first change, so nothing done after it is missed

            // Sets no longer wanted (a rule set switched off): their chains go.
            foreach (DesiredSet old in _desired.Where(o => !desired.Any(d => d.Key == o.Key)))
            {
                await TryApplyAsync(client, new NftTransaction().AddTable(FlannelTrafficRules.Table(old.Family)).FlushChain(old.Family, old.Chain.Table, old.Chain.Name).DeleteChain(old.Family, old.Chain.Table, old.Chain.Name), cancellationToken).ConfigureAwait(false);
            }

            foreach (DesiredSet set in desired)
            {
                await client.NftApplyAsync(set.Transaction, cancellationToken).ConfigureAwait(false);
                Log.TrafficRulesInstalled(_logger, set.Description, set.Rules.Count);
            }

            _desired = desired;
            if (_options.CleanUpOtherMode)
            {
                await IptablesNftLeftovers.RemoveAsync(client, _logger, cancellationToken).ConfigureAwait(false);
                await Task.Run(() => RemoveLegacyLeftovers(_options, _logger), cancellationToken).ConfigureAwait(false);
            }

            var warnings = new List<string>();
            if (request.Forward)
            {
                await foreach (NftChain chain in ForwardDropChainsAsync(client, cancellationToken).ConfigureAwait(false))
                {
                    string warning = $"The {Describe(chain)} chain drops forwarded packets by default (policy drop), and an accept in flannel's own forward chain does not override a drop in another table: overlay traffic forwarded by this node is dropped unless that chain accepts it (for example `iptables -A FORWARD -s {NetworkOf(request, chain.Family)} -j ACCEPT` and `-d ...`), or run in iptables mode (EnableNFTables false), whose rules go into that FORWARD chain.";
                    warnings.Add(warning);
                    Log.ForwardPolicyDrop(_logger, warning);
                }
            }

            return new TrafficRulesResult(
                desired.Any(d => d.Family == NftFamily.IPv4 && d.IsMasquerade),
                desired.Any(d => d.Family == NftFamily.IPv6 && d.IsMasquerade),
                desired.Any(d => d.Family == NftFamily.IPv4 && !d.IsMasquerade),
                desired.Any(d => d.Family == NftFamily.IPv6 && !d.IsMasquerade),
                warnings);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async ValueTask RemoveAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _desired = [];
            NetlinkClient client = _client ??= NetlinkClient.Open(_options.NetlinkOptions);
            await RemoveTablesAsync(client, _logger, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops repairing; removes the rules when <see cref="TrafficRulesOptions.RemoveOnShutdown"/>, else keeps them.</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_watch is { } watch)
        {
            try
            {
                await watch.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        if (_options.RemoveOnShutdown)
        {
            try
            {
                await RemoveAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (NetlinkException ex)
            {
                Log.TrafficRulesRemoveFailed(_logger, ex);
            }
        }

        _client?.Dispose();
        _stop.Dispose();
        _gate.Dispose();
    }

    /// <summary>Deletes flannel's nftables tables (both families), whoever created them; absent tables are fine.</summary>
    internal static async ValueTask RemoveTablesAsync(NetlinkClient client, ILogger logger, CancellationToken cancellationToken)
    {
        foreach (NftFamily family in new[] { NftFamily.IPv4, NftFamily.IPv6 })
        {
            string table = FlannelTrafficRules.TableName(family);
            try
            {
                await client.NftApplyAsync(new NftTransaction().DeleteTable(family, table), cancellationToken).ConfigureAwait(false);
                if (logger.IsEnabled(LogLevel.Information))
                {
                    string what = $"{FamilyName(family)} {table}";
                    Log.TrafficRulesRemoved(logger, what);
                }
            }
            catch (NetlinkException ex) when (ex.IsNotFound)
            {
            }
        }
    }

    /// <summary>flannel's iptables rules written with iptables-legacy (x_tables) are invisible to nf_tables: they need the legacy binaries.</summary>
    private static void RemoveLegacyLeftovers(TrafficRulesOptions options, ILogger logger)
    {
        foreach (string family in new[] { "iptables", "ip6tables" })
        {
            if (IptablesTool.Find(family + "-legacy") is null)
            {
                Log.OtherModeCleanUpFailed(logger, family + "-legacy", $"{family}-legacy is not installed, so flannel's legacy (x_tables) chains, if any, cannot be seen or removed");
                continue;
            }

            // iptables-legacy-save lists only tables that exist; asking for a rule would create the table.
            if (IptablesTool.Detect(family, options.NetlinkOptions.NetworkNamespace, "legacy") is { } tool && tool.SaveOutput().Contains("FLANNEL-", StringComparison.Ordinal))
            {
                IptablesTrafficRules.RemoveAll(tool, logger);
            }
        }
    }

    internal static List<DesiredSet> Plan(TrafficRulesRequest request, TrafficRulesOptions options)
    {
        var sets = new List<DesiredSet>();
        NetworkConfigFamilies(request, out (IPNetwork Cluster, IPNetwork? Pod)? v4, out (IPNetwork Cluster, IPNetwork? Pod)? v6);
        foreach ((IPNetwork Cluster, IPNetwork? Pod) f in new[] { v4, v6 }.Where(x => x is not null).Select(x => x!.Value))
        {
            NftFamily family = FlannelTrafficRules.FamilyOf(f.Cluster);
            if (request.Forward)
            {
                sets.Add(new DesiredSet(family, FlannelTrafficRules.NftForwardChain(family), FlannelTrafficRules.NftForwardRules(f.Cluster), IsMasquerade: false));
            }

            if (request.Masquerade && f.Pod is { } pod)
            {
                sets.Add(new DesiredSet(family, FlannelTrafficRules.NftMasqueradeChain(family), FlannelTrafficRules.NftMasqueradeRules(f.Cluster, pod, options.FullyRandom, options.RuleSet), IsMasquerade: true));
            }
        }

        return sets;
    }

    /// <summary>The families with rules: enabled in the configuration and with a network (the enable flags decide, not the network alone).</summary>
    internal static void NetworkConfigFamilies(TrafficRulesRequest request, out (IPNetwork Cluster, IPNetwork? Pod)? v4, out (IPNetwork Cluster, IPNetwork? Pod)? v6)
    {
        v4 = request.Config.EnableIPv4 && request.Config.Network is { } n4 ? (n4, request.Lease.Subnet) : null;
        v6 = request.Config.EnableIPv6 && request.Config.IPv6Network is { } n6 ? (n6, request.Lease.IPv6Subnet) : null;
    }

    private static string FamilyName(NftFamily family) => family == NftFamily.IPv6 ? "ip6" : family == NftFamily.Inet ? "inet" : "ip";

    private static string Describe(NftChain chain) => $"{FamilyName(chain.Family)} {chain.Table} {chain.Name}";

    private static IPNetwork? NetworkOf(TrafficRulesRequest request, NftFamily family) =>
        family == NftFamily.IPv6 ? request.Config.IPv6Network : request.Config.Network;

    private static async IAsyncEnumerable<NftChain> ForwardDropChainsAsync(NetlinkClient client, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (NftChain chain in client.NftChainsAsync(NftFamily.Unspecified, null, cancellationToken).ConfigureAwait(false))
        {
            if (chain.Hook == NftHook.Forward && chain.Policy == NftVerdict.Drop && chain.Family is NftFamily.IPv4 or NftFamily.IPv6 or NftFamily.Inet)
            {
                yield return chain;
            }
        }
    }

    private static async ValueTask TryApplyAsync(NetlinkClient client, NftTransaction transaction, CancellationToken cancellationToken)
    {
        try
        {
            await client.NftApplyAsync(transaction, cancellationToken).ConfigureAwait(false);
        }
        catch (NetlinkException ex) when (ex.IsNotFound)
        {
        }
    }

    private void StartWatching(NetlinkClient client)
    {
        if (_watch is not null)
        {
            return;
        }

        CancellationToken token = _stop.Token;
        IAsyncEnumerable<NetlinkNotification> notifications = Subscribe(client, token);
        _watch = Task.Run(
            async () =>
            {
                while (true)
                {
                    try
                    {
                        await WatchAsync(client, notifications, token).ConfigureAwait(false);
                        return;
                    }
                    catch (Exception ex) when (ex is NetlinkException or NetlinkProtocolException or IOException)
                    {
                        // A broken subscription: subscribe again, then check everything (changes may have been missed).
                        Log.TrafficRulesRepairFailed(_logger, "notification stream", ex);
                        notifications = Subscribe(client, token);
                        await RepairAsync(client, token).ConfigureAwait(false);
                    }
                }
            },
            CancellationToken.None);
    }

    private IAsyncEnumerable<NetlinkNotification> Subscribe(NetlinkClient client, CancellationToken token) =>
        NotificationSource is { } source ? source(client, token) : client.NftWatchAsync(token);

    private async Task WatchAsync(NetlinkClient client, IAsyncEnumerable<NetlinkNotification> notifications, CancellationToken cancellationToken)
    {
        bool dirty = false;
        await foreach (NetlinkNotification n in notifications.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            switch (n)
            {
                case NftTableNotification t when IsOurs(t.Table.Family, t.Table.Name):
                case NftChainNotification c when IsOurs(c.Chain.Family, c.Chain.Table):
                case NftRuleNotification r when IsOurs(r.Rule.Family, r.Rule.Table):
                    dirty = true;
                    break;
                case NotificationsLost:
                    dirty = true;
                    goto case null;
                case NftGenerationNotification:
                case null:
                    if (dirty)
                    {
                        dirty = false;
                        await RepairAsync(client, cancellationToken).ConfigureAwait(false);
                    }

                    break;
                default:
                    break;
            }
        }
    }

    private static bool IsOurs(NftFamily family, string table) =>
        (family == NftFamily.IPv4 && table == FlannelTrafficRules.IPv4Table) || (family == NftFamily.IPv6 && table == FlannelTrafficRules.IPv6Table);

    private async Task RepairAsync(NetlinkClient client, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (DesiredSet set in _desired)
            {
                try
                {
                    string? drift = await FindDriftAsync(client, set, cancellationToken).ConfigureAwait(false);
                    if (drift is null)
                    {
                        continue;
                    }

                    await client.NftApplyAsync(set.Transaction, cancellationToken).ConfigureAwait(false);
                    RepairCount++;
                    Log.TrafficRulesRepaired(_logger, set.Description, drift);
                    OverlayEvents.Raise(Repaired, this, new TrafficRulesRepairedEventArgs(set.Description, drift), _logger, nameof(Repaired));
                }
                catch (NetlinkException ex)
                {
                    Log.TrafficRulesRepairFailed(_logger, set.Description, ex);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>What differs between the kernel and the wanted set, or null when nothing does.</summary>
    internal static async ValueTask<string?> FindDriftAsync(NetlinkClient client, DesiredSet set, CancellationToken cancellationToken)
    {
        NftChain? chain = null;
        await foreach (NftChain c in client.NftChainsAsync(set.Family, set.Chain.Table, cancellationToken).ConfigureAwait(false))
        {
            if (c.Name == set.Chain.Name)
            {
                chain = c;
            }
        }

        if (chain is null)
        {
            return "chain missing";
        }

        if (chain.Type != set.Chain.Type || chain.Hook != set.Chain.Hook || chain.Priority != set.Chain.Priority
            || (chain.Policy ?? NftVerdict.Accept) != (set.Chain.Policy ?? NftVerdict.Accept))
        {
            return "chain changed";
        }

        var rules = new List<NftRule>();
        await foreach (NftRule rule in client.NftRulesAsync(set.Family, set.Chain.Table, set.Chain.Name, cancellationToken).ConfigureAwait(false))
        {
            rules.Add(rule);
        }

        if (rules.Count != set.Rules.Count)
        {
            return $"{rules.Count} rules instead of {set.Rules.Count}";
        }

        for (int i = 0; i < rules.Count; i++)
        {
            if (!rules[i].IsEquivalentTo(set.Rules[i]))
            {
                return $"rule {i + 1} changed";
            }
        }

        return null;
    }

    internal sealed record DesiredSet(NftFamily Family, NftChain Chain, IReadOnlyList<NftRule> Rules, bool IsMasquerade)
    {
        public string Key => $"{Family}/{Chain.Name}";

        public string Description => $"{FamilyName(Family)} {Chain.Table} {Chain.Name}";

        public NftTransaction Transaction
        {
            get
            {
                var t = new NftTransaction().AddTable(FlannelTrafficRules.Table(Family)).AddChain(Chain).FlushChain(Family, Chain.Table, Chain.Name);
                foreach (NftRule rule in Rules)
                {
                    t.AddRule(rule);
                }

                return t;
            }
        }
    }
}
