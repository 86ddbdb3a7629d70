using Microsoft.Extensions.Logging;

namespace Overlay.Hosting;

/// <summary>Creates the traffic rules of a mode.</summary>
public static class TrafficRules
{
    /// <summary>Creates the rules manager of <paramref name="mode"/> (nothing is installed until <see cref="ITrafficRules.ApplyAsync"/>).</summary>
    /// <param name="mode">nftables (over netlink) or iptables (through iptables-restore).</param>
    /// <param name="options">Settings.</param>
    /// <param name="loggerFactory">Logging.</param>
    /// <returns>The manager; the caller disposes it.</returns>
    public static ITrafficRules Create(TrafficRulesMode mode, TrafficRulesOptions? options = null, ILoggerFactory? loggerFactory = null) => mode switch
    {
        TrafficRulesMode.NFTables => new NftablesTrafficRules(options, loggerFactory),
        TrafficRulesMode.IPTables => new IptablesTrafficRules(options, loggerFactory),
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown traffic rules mode."),
    };

    /// <summary>The mode a network configuration asks for (<c>EnableNFTables</c>).</summary>
    /// <param name="config">The configuration.</param>
    /// <returns>The mode.</returns>
    public static TrafficRulesMode ModeOf(Overlay.Subnets.NetworkConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.EnableNFTables ? TrafficRulesMode.NFTables : TrafficRulesMode.IPTables;
    }
}
