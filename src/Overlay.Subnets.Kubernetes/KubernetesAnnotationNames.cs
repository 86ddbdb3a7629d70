using System.Text.RegularExpressions;

namespace Overlay.Subnets.Kubernetes;

/// <summary>
/// The names of flannel's node annotations for one annotation prefix, normalised exactly as
/// flanneld's <c>--kube-annotation-prefix</c> is: at most one <c>/</c>; none appends <c>/</c>; a prefix
/// ending in neither <c>/</c> nor <c>-</c> gets <c>-</c>; the result must end in
/// <c>fqdn/</c> or <c>fqdn/name-</c> (lower case). All nodes of a cluster must use the same prefix.
/// </summary>
public sealed partial class KubernetesAnnotationNames
{
    /// <summary>flannel's default prefix.</summary>
    public const string DefaultPrefix = "flannel.alpha.coreos.com";

    private KubernetesAnnotationNames(string prefix)
    {
        Prefix = prefix;
    }

    /// <summary>The names for <see cref="DefaultPrefix"/>.</summary>
    public static KubernetesAnnotationNames Default { get; } = Create(DefaultPrefix);

    /// <summary>The normalised prefix, e.g. <c>flannel.alpha.coreos.com/</c>.</summary>
    public string Prefix { get; }

    /// <summary><c>kube-subnet-manager</c>: <c>"true"</c> marks a node as a flannel peer.</summary>
    public string SubnetManager => Prefix + "kube-subnet-manager";

    /// <summary><c>backend-type</c>, e.g. <c>vxlan</c>.</summary>
    public string BackendType => Prefix + "backend-type";

    /// <summary><c>backend-data</c>: the IPv4 backend data JSON, or <c>null</c>.</summary>
    public string BackendData => Prefix + "backend-data";

    /// <summary><c>backend-v6-data</c>: the IPv6 backend data JSON.</summary>
    public string BackendV6Data => Prefix + "backend-v6-data";

    /// <summary><c>public-ip</c>: the node's public IPv4 address.</summary>
    public string PublicIP => Prefix + "public-ip";

    /// <summary><c>public-ipv6</c>: the node's public IPv6 address.</summary>
    public string PublicIPv6 => Prefix + "public-ipv6";

    /// <summary><c>public-ip-overwrite</c> (set by an operator): published as <c>public-ip</c> instead
    /// of the node's own address (NAT).</summary>
    public string PublicIPOverwrite => Prefix + "public-ip-overwrite";

    /// <summary><c>public-ipv6-overwrite</c>: the same for IPv6.</summary>
    public string PublicIPv6Overwrite => Prefix + "public-ipv6-overwrite";

    /// <summary><c>node-public-ip</c> (set by an operator): the node's public IPv4 address, used to
    /// choose the external interface.</summary>
    public string NodePublicIP => Prefix + "node-public-ip";

    /// <summary><c>node-public-ipv6</c>: the same for IPv6.</summary>
    public string NodePublicIPv6 => Prefix + "node-public-ipv6";

    /// <summary>Normalises <paramref name="prefix"/> as flanneld does and builds the names.</summary>
    /// <param name="prefix">The prefix, e.g. <c>flannel.alpha.coreos.com</c>, <c>example.com/overlay</c>.</param>
    /// <returns>The names.</returns>
    /// <exception cref="ArgumentException">flanneld's errors: "prefix can contain at most single slash",
    /// "prefix must be in a format: fqdn/[0-9a-z-_]*".</exception>
    public static KubernetesAnnotationNames Create(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        int slashes = prefix.Count(c => c == '/');
        if (slashes > 1)
        {
            throw new ArgumentException("prefix can contain at most single slash", nameof(prefix));
        }

        if (slashes == 0)
        {
            prefix += "/";
        }

        if (!prefix.EndsWith('/') && !prefix.EndsWith('-'))
        {
            prefix += "-";
        }

        // Not anchored at the start, as flanneld's check: what flanneld accepts is accepted.
        if (!PrefixPattern().IsMatch(prefix))
        {
            throw new ArgumentException("prefix must be in a format: fqdn/[0-9a-z-_]*", nameof(prefix));
        }

        return new KubernetesAnnotationNames(prefix);
    }

    /// <summary>The normalised prefix.</summary>
    /// <returns><see cref="Prefix"/>.</returns>
    public override string ToString() => Prefix;

    [GeneratedRegex(@"(?:[a-z0-9_-]+\.)+[a-z0-9_-]+/(?:[a-z0-9_-]+-)?$")]
    private static partial Regex PrefixPattern();
}
