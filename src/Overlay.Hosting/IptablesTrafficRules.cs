using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Hosting.Internal;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Hosting;

/// <summary>
/// flannel's iptables mode for hosts that need it (for example a FORWARD
/// policy of DROP set by Docker in iptables, which an nftables accept does not override). Rules are
/// written with <c>iptables-restore --noflush</c> / <c>ip6tables-restore --noflush</c> in flannel's
/// payload format (delete-then-append, so the jump rules end up last, as flanneld's, so that listings
/// match), checked every <see cref="TrafficRulesOptions.IptablesResyncInterval"/> and
/// re-bootstrapped when one is missing. The variant (legacy or nft) is detected as Kubernetes'
/// iptables wrapper does. Previous networks/subnets from subnet.env are cleaned as flannel does.
/// </summary>
public sealed class IptablesTrafficRules : ITrafficRules
{
    private static readonly string[] Families = ["iptables", "ip6tables"];
    private readonly TrafficRulesOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, IptablesTool?> _tools = [];
    private List<(string Family, IReadOnlyList<IptablesRule> Rules)> _desired = [];
    private Task? _resync;
    private int _disposed;

    /// <summary>Creates the rules manager (nothing is installed until <see cref="ApplyAsync"/>).</summary>
    /// <param name="options">Settings.</param>
    /// <param name="loggerFactory">Logging.</param>
    public IptablesTrafficRules(TrafficRulesOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        _options = options ?? new TrafficRulesOptions();
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<IptablesTrafficRules>();
    }

    /// <inheritdoc/>
    public TrafficRulesMode Mode => TrafficRulesMode.IPTables;

    /// <summary>Forces a variant (<c>legacy</c> or <c>nft</c>) instead of detecting it (tests exercise both).</summary>
    public string? Variant { get; set; }

    /// <summary>The number of times the resync found a missing rule and re-bootstrapped.</summary>
    public int RepairCount { get; private set; }

    /// <summary>Builds flannel's restore payload for rules of which <paramref name="existing"/> already exist.</summary>
    /// <param name="rules">The rules in order.</param>
    /// <param name="existing">Whether each rule exists.</param>
    /// <returns>The payload: per table a <c>*table</c> line, the rule lines, <c>COMMIT</c>.</returns>
    public static string BootstrapPayload(IReadOnlyList<IptablesRule> rules, Func<IptablesRule, bool> existing)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(existing);
        var sb = new StringBuilder();
        foreach (IGrouping<string, IptablesRule> table in rules.GroupBy(r => r.Table))
        {
            sb.Append('*').Append(table.Key).Append('\n');
            foreach (IptablesRule rule in table)
            {
                string spec = rule.ToRestoreSpec();
                if (existing(rule))
                {
                    sb.Append("-D ").Append(rule.Chain).Append(' ').Append(spec).Append('\n');
                }

                sb.Append("-A ").Append(rule.Chain).Append(' ').Append(spec).Append('\n');
            }

            sb.Append("COMMIT\n");
        }

        return sb.ToString();
    }

    /// <summary>Builds the tear-down payload: one <c>-D</c> per existing rule, per table, in rule order (empty when none exists).</summary>
    /// <param name="rules">The rules.</param>
    /// <param name="existing">Whether each rule exists.</param>
    /// <returns>The payload, or an empty string.</returns>
    public static string TeardownPayload(IReadOnlyList<IptablesRule> rules, Func<IptablesRule, bool> existing)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(existing);
        var sb = new StringBuilder();
        foreach (IGrouping<string, IptablesRule> table in rules.GroupBy(r => r.Table))
        {
            var lines = table.Where(existing).Select(r => $"-D {r.Chain} {r.ToRestoreSpec()}\n").ToList();
            if (lines.Count == 0)
            {
                continue;
            }

            sb.Append('*').Append(table.Key).Append('\n');
            lines.ForEach(l => sb.Append(l));
            sb.Append("COMMIT\n");
        }

        return sb.ToString();
    }

    /// <inheritdoc/>
    public async ValueTask<TrafficRulesResult> ApplyAsync(TrafficRulesRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Run(() => Apply(request), cancellationToken).ConfigureAwait(false);
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
            await Task.Run(
                () =>
                {
                    foreach (string family in Families)
                    {
                        if (Tool(family) is { } tool)
                        {
                            RemoveAll(tool, _logger);
                        }
                    }
                },
                cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops the resync; removes the rules when <see cref="TrafficRulesOptions.RemoveOnShutdown"/>, else keeps them.</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_resync is { } resync)
        {
            try
            {
                await resync.ConfigureAwait(false);
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
            catch (InvalidOperationException ex)
            {
                Log.TrafficRulesRemoveFailed(_logger, ex);
            }
        }

        _stop.Dispose();
        _gate.Dispose();
    }

    /// <summary>Removes flannel's iptables rules and chains of one family (jumps first, then the chains, each in its own table, unlike flanneld's clean-up).</summary>
    internal static int RemoveAll(IptablesTool tool, ILogger logger)
    {
        int removed = 0;
        foreach ((string table, string hook, string chain, string comment) in new[]
        {
            ("nat", "POSTROUTING", FlannelTrafficRules.IptablesMasqueradeChain, "flanneld masq"),
            ("filter", "FORWARD", FlannelTrafficRules.IptablesForwardChain, "flanneld forward"),
        })
        {
            var jump = new IptablesRule(table, hook, ["-m", "comment", "--comment", comment, "-j", chain]);
            for (int guard = 0; guard < 16 && tool.Exists(jump); guard++)
            {
                tool.Run(["-t", table, "-D", hook, .. jump.Arguments]);
                removed++;
            }

            if (tool.ChainExists(table, chain))
            {
                tool.Run(["-t", table, "-F", chain]);
                (int code, _, string error) = tool.Run(["-t", table, "-X", chain]);
                if (code != 0)
                {
                    Log.OtherModeCleanUpFailed(logger, tool.Command, $"chain {chain} in table {table}: {error}");
                }
                else
                {
                    removed++;
                }
            }
        }

        if (removed > 0 && logger.IsEnabled(LogLevel.Information))
        {
            string what = $"{Path.GetFileName(tool.Command)} {FlannelTrafficRules.IptablesMasqueradeChain}/{FlannelTrafficRules.IptablesForwardChain} ({removed} items)";
            Log.TrafficRulesRemoved(logger, what);
        }

        return removed;
    }

    private IptablesTool? Tool(string family)
    {
        if (!_tools.TryGetValue(family, out IptablesTool? tool))
        {
            tool = IptablesTool.Detect(family, _options.NetlinkOptions.NetworkNamespace, Variant);
            _tools[family] = tool;
            if (tool is not null && _logger.IsEnabled(LogLevel.Information))
            {
                string program = Path.GetFileName(tool.Command), version = tool.Version.ToString();
                Log.IptablesVariant(_logger, program, version, tool.Variant, tool.SupportsRandomFully, tool.SupportsWait);
            }
        }

        return tool;
    }

    private TrafficRulesResult Apply(TrafficRulesRequest request)
    {
        NftablesTrafficRules.NetworkConfigFamilies(request, out (IPNetwork Cluster, IPNetwork? Pod)? v4, out (IPNetwork Cluster, IPNetwork? Pod)? v6);
        var desired = new List<(string Family, IReadOnlyList<IptablesRule> Rules)>();
        bool masq4 = false, masq6 = false, fwd4 = false, fwd6 = false;
        foreach ((string family, (IPNetwork Cluster, IPNetwork? Pod)? f, IReadOnlyList<IPNetwork> previousNetworks, IReadOnlyList<IPNetwork> previousSubnets) in new[]
        {
            ("iptables", v4, request.Previous.Networks, request.Previous.Subnets),
            ("ip6tables", v6, request.Previous.IPv6Networks, request.Previous.IPv6Subnets),
        })
        {
            if (f is not { } net)
            {
                continue;
            }

            IptablesTool tool = Tool(family) ?? throw new InvalidOperationException($"iptables mode needs {family} (and {family}-restore); none is installed. Install the iptables package or set EnableNFTables to true in the network configuration.");
            bool randomFully = _options.FullyRandom && tool.SupportsRandomFully;
            if (request.Masquerade && net.Pod is { } pod)
            {
                // 1. Recycling: the previous network/subnet's rules go when they differ (flannel's step 1).
                IPNetwork? previousNetwork = previousNetworks.Count > 0 ? previousNetworks[0] : null;
                IPNetwork? previousSubnet = previousSubnets.Count > 0 ? previousSubnets[0] : null;
                if (previousNetwork is { } pn && previousSubnet is { } ps && (pn != net.Cluster || ps != pod) && FlannelTrafficRules.FamilyOf(pn) == FlannelTrafficRules.FamilyOf(ps))
                {
                    IReadOnlyList<IptablesRule> old = FlannelTrafficRules.IptablesMasqueradeRules(pn, ps, randomFully);
                    string teardown = TeardownPayload(old, tool.Exists);
                    if (teardown.Length > 0)
                    {
                        tool.RestoreNoFlush(teardown);
                    }
                }

                IReadOnlyList<IptablesRule> rules = FlannelTrafficRules.IptablesMasqueradeRules(net.Cluster, pod, randomFully);
                Bootstrap(tool, rules, flush: true);
                desired.Add((family, rules));
                masq4 |= family == "iptables";
                masq6 |= family == "ip6tables";
            }

            if (request.Forward)
            {
                IReadOnlyList<IptablesRule> rules = FlannelTrafficRules.IptablesForwardRules(net.Cluster);
                Bootstrap(tool, rules, flush: true);
                desired.Add((family, rules));
                fwd4 |= family == "iptables";
                fwd6 |= family == "ip6tables";
            }
        }

        _desired = desired;
        if (_options.CleanUpOtherMode)
        {
            using NetlinkClient client = NetlinkClient.Open(_options.NetlinkOptions);
            NftablesTrafficRules.RemoveTablesAsync(client, _logger, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        }

        StartResync();
        return new TrafficRulesResult(masq4, masq6, fwd4, fwd6, []);
    }

    /// <summary>flannel's steps 2 and 3: create or flush the flannel chain, then one restore of delete-then-append lines.</summary>
    private void Bootstrap(IptablesTool tool, IReadOnlyList<IptablesRule> rules, bool flush)
    {
        foreach ((string table, string chain) in rules.Select(r => (r.Table, r.Chain)).Distinct().Where(c => c.Chain.StartsWith("FLANNEL-", StringComparison.Ordinal)))
        {
            if (tool.ChainExists(table, chain))
            {
                if (flush)
                {
                    tool.Run(["-t", table, "-F", chain]);
                }
            }
            else
            {
                tool.Run(["-t", table, "-N", chain]);
            }
        }

        tool.RestoreNoFlush(BootstrapPayload(rules, tool.Exists));
        if (_logger.IsEnabled(LogLevel.Information))
        {
            string what = $"{Path.GetFileName(tool.Command)} {rules[0].Table} {rules[^1].Chain}";
            Log.TrafficRulesInstalled(_logger, what, rules.Count);
        }
    }

    private void StartResync()
    {
        if (_resync is not null)
        {
            return;
        }

        CancellationToken token = _stop.Token;
        _resync = Task.Run(
            async () =>
            {
                while (true)
                {
                    await Task.Delay(_options.IptablesResyncInterval, token).ConfigureAwait(false);
                    await _gate.WaitAsync(token).ConfigureAwait(false);
                    try
                    {
                        foreach ((string family, IReadOnlyList<IptablesRule> rules) in _desired)
                        {
                            if (Tool(family) is not { } tool)
                            {
                                continue;
                            }

                            bool missing = rules.Select(r => (r.Table, r.Chain)).Distinct().Any(c => !tool.ChainExists(c.Table, c.Chain)) || !rules.All(tool.Exists);
                            if (missing)
                            {
                                Bootstrap(tool, rules, flush: false);
                                RepairCount++;
                                Log.TrafficRulesRepaired(_logger, $"{family} {rules[^1].Chain}", "a rule or chain was missing at the resync");
                            }
                        }
                    }
#pragma warning disable CA1031 // the loop goes on until shutdown, as flannel's does
                    catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
                    {
                        Log.IptablesFailed(_logger, "resync", ex);
                    }
                    finally
                    {
                        _gate.Release();
                    }
                }
            },
            CancellationToken.None);
    }
}
