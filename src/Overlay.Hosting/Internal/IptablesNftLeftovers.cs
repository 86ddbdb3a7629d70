using Microsoft.Extensions.Logging;
using Overlay.Netlink;

namespace Overlay.Hosting.Internal;

/// <summary>
/// flannel's iptables rules when they were written with iptables-nft (the nf_tables back end of
/// iptables): they live in nf_tables tables <c>ip/ip6 nat</c> and <c>ip/ip6 filter</c>, so nftables
/// mode removes them over netlink — the jump rules first, then the emptied chains, each family in
/// one transaction (quirk Q17 fixed: the right tables, jumps before chains, no binaries needed).
/// Rules written with iptables-legacy (x_tables) are invisible here; see <see cref="IptablesTool"/>.
/// </summary>
internal static class IptablesNftLeftovers
{
    public static async ValueTask<int> RemoveAsync(NetlinkClient client, ILogger logger, CancellationToken cancellationToken)
    {
        int removed = 0;
        foreach (NftFamily family in new[] { NftFamily.IPv4, NftFamily.IPv6 })
        {
            var tx = new NftTransaction();
            int items = 0;
            foreach ((string table, string hookChain, string chain) in new[] { ("nat", "POSTROUTING", FlannelTrafficRules.IptablesMasqueradeChain), ("filter", "FORWARD", FlannelTrafficRules.IptablesForwardChain) })
            {
                bool chainExists = false;
                await foreach (NftChain c in client.NftChainsAsync(family, table, cancellationToken).ConfigureAwait(false))
                {
                    chainExists |= c.Name == chain;
                }

                await foreach (NftRule rule in client.NftRulesAsync(family, table, cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    if (rule.Chain != chain && rule.Expressions.Any(e => e is NftImmediateExpression { Verdict: NftVerdict.Jump or NftVerdict.Goto } j && j.Chain == chain))
                    {
                        tx.DeleteRule(family, table, rule.Chain, rule.Handle!.Value);
                        items++;
                    }
                }

                if (chainExists)
                {
                    tx.FlushChain(family, table, chain).DeleteChain(family, table, chain);
                    items++;
                }

                _ = hookChain;
            }

            if (items == 0)
            {
                continue;
            }

            try
            {
                await client.NftApplyAsync(tx, cancellationToken).ConfigureAwait(false);
                removed += items;
                Log.OtherModeCleanedUp(logger, family == NftFamily.IPv6 ? "ip6tables-nft" : "iptables-nft", items);
            }
            catch (NetlinkException ex)
            {
                Log.OtherModeCleanUpFailed(logger, family == NftFamily.IPv6 ? "ip6tables-nft" : "iptables-nft", ex.Message);
            }
        }

        return removed;
    }
}
