using System.Globalization;
using Grpc.Core.Interceptors;

namespace Overlay.Subnets.Etcd;

/// <summary>
/// Settings of <see cref="EtcdSubnetRegistry"/>: where etcd is, how to reach it, and flannel's key
/// prefix. The names follow flanneld's flags (<c>--etcd-endpoints</c>, <c>--etcd-prefix</c>,
/// <c>--etcd-certfile</c>, <c>--etcd-keyfile</c>, <c>--etcd-cafile</c>, <c>--etcd-username</c>,
/// <c>--etcd-password</c>). <see cref="ToString"/> never shows the password.
/// </summary>
public sealed class EtcdSubnetRegistryOptions
{
    /// <summary>flannel's default key prefix.</summary>
    public const string DefaultPrefix = "/coreos.com/network";

    /// <summary>The endpoint used when none is given.</summary>
    public const string DefaultEndpoint = "http://127.0.0.1:2379";

    /// <summary>The etcd client URLs (<c>http://host:2379</c> or <c>https://host:2379</c>). Requests
    /// go to one endpoint at a time and move to the next when it does not answer. Empty (the
    /// default) means <see cref="DefaultEndpoint"/>, flanneld's default.</summary>
    /// <remarks>The default is an empty list rather than one holding <see cref="DefaultEndpoint"/>
    /// so that binding from configuration replaces the default instead of appending to it.</remarks>
    public IReadOnlyList<string> Endpoints { get; set; } = [];

    /// <summary>The key prefix: the configuration is <c>&lt;prefix&gt;/config</c>, leases are
    /// <c>&lt;prefix&gt;/subnets/&lt;subnet key&gt;</c>. A trailing slash is ignored.</summary>
    public string Prefix { get; set; } = DefaultPrefix;

    /// <summary>PEM file of the client certificate (with <see cref="KeyFile"/>), for etcd's
    /// <c>--client-cert-auth</c>. Needs <c>https://</c> endpoints.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>PEM file of the client certificate's private key.</summary>
    public string? KeyFile { get; set; }

    /// <summary>PEM file of the certificate authorities that may sign the server's certificate;
    /// the system's trust store when <see langword="null"/>.</summary>
    public string? CaFile { get; set; }

    /// <summary>The etcd user, when etcd has authentication enabled.</summary>
    public string? Username { get; set; }

    /// <summary>The etcd user's password. Never logged, never part of an exception message or of
    /// <see cref="ToString"/>.</summary>
    public string? Password { get; set; }

    /// <summary>How long to wait for a TCP (and TLS) connection to one endpoint.</summary>
    public TimeSpan DialTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one request to one endpoint may take.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Lifetime of the etcd lease attached to a lease key (flannel: 24 hours). etcd
    /// counts whole seconds and may raise very short TTLs to its minimum (a few seconds).</summary>
    public TimeSpan LeaseTtl { get; set; } = SubnetRegistryOptions.DefaultLeaseTtl;

    /// <summary>How many times acquisition is attempted when other nodes keep winning the race
    /// for the chosen subnet.</summary>
    public int MaxAcquireAttempts { get; set; } = 10;

    /// <summary>Randomness for choosing among free subnets; <see cref="Random.Shared"/> when
    /// <see langword="null"/>.</summary>
    public Random? Random { get; set; }

    /// <summary>gRPC client interceptors applied to every call (tracing, metrics, counting calls).</summary>
    public IReadOnlyList<Interceptor> Interceptors { get; set; } = [];

    /// <summary>Describes the settings without the password.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"Endpoints={string.Join(',', EffectiveEndpoints)}, Prefix={Prefix}, CertificateFile={CertificateFile ?? "(none)"}, " +
        $"KeyFile={KeyFile ?? "(none)"}, CaFile={CaFile ?? "(none)"}, Username={Username ?? "(none)"}, " +
        $"Password={(string.IsNullOrEmpty(Password) ? "(none)" : "(set)")}, DialTimeout={DialTimeout}, RequestTimeout={RequestTimeout}, LeaseTtl={LeaseTtl}");

    /// <summary>Checks the settings (the same checks as the options validator that
    /// <c>AddEtcdSubnetRegistry</c> registers).</summary>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it (never the
    /// password). The first invalid setting is reported.</exception>
    public void Validate()
    {
        List<OptionFailure> failures = GetFailures();
        if (failures.Count > 0)
        {
            throw failures[0].ToException();
        }
    }

    /// <summary>Every invalid setting, in the order <see cref="Validate"/> checks them. The one copy
    /// of the rules: <see cref="Validate"/> throws the first, the options validator reports all.</summary>
    internal List<OptionFailure> GetFailures()
    {
        var failures = new List<OptionFailure>();
        if (Endpoints is null)
        {
            failures.Add(new(nameof(Endpoints), $"Endpoints must not be null; leave it empty for {DefaultEndpoint}.", OptionFailureKind.Null));
        }
        else
        {
            foreach (string endpoint in EffectiveEndpoints)
            {
                if (CheckEndpoint(endpoint) is { } message)
                {
                    failures.Add(new(nameof(Endpoints), message));
                    break;
                }
            }
        }

        if (string.IsNullOrWhiteSpace(Prefix) || !Prefix.StartsWith('/'))
        {
            failures.Add(new(nameof(Prefix), $"The etcd prefix '{Prefix}' must start with '/'."));
        }

        if ((CertificateFile is null) != (KeyFile is null))
        {
            failures.Add(new(CertificateFile is null ? nameof(CertificateFile) : nameof(KeyFile), "CertificateFile and KeyFile must be given together."));
        }

        if ((Username is null) != (Password is null))
        {
            failures.Add(new(Username is null ? nameof(Username) : nameof(Password), "Username and Password must be given together."));
        }

        if (DialTimeout <= TimeSpan.Zero)
        {
            failures.Add(new(nameof(DialTimeout), $"DialTimeout must be positive; it is {DialTimeout}.", OptionFailureKind.OutOfRange));
        }

        if (RequestTimeout <= TimeSpan.Zero)
        {
            failures.Add(new(nameof(RequestTimeout), $"RequestTimeout must be positive; it is {RequestTimeout}.", OptionFailureKind.OutOfRange));
        }

        if (LeaseTtl < TimeSpan.FromSeconds(1))
        {
            failures.Add(new(nameof(LeaseTtl), $"LeaseTtl must be at least 1 second; it is {LeaseTtl}.", OptionFailureKind.OutOfRange));
        }

        if (MaxAcquireAttempts < 1)
        {
            failures.Add(new(nameof(MaxAcquireAttempts), $"MaxAcquireAttempts must be at least 1; it is {MaxAcquireAttempts}.", OptionFailureKind.OutOfRange));
        }

        if (Interceptors is null)
        {
            failures.Add(new(nameof(Interceptors), "Interceptors must not be null; use an empty list.", OptionFailureKind.Null));
        }

        return failures;
    }

    /// <summary>Why <paramref name="endpoint"/> is not usable, or <see langword="null"/>.</summary>
    private string? CheckEndpoint(string? endpoint)
    {
        if (endpoint is not null && (endpoint.Contains('@', StringComparison.Ordinal)
            || (Uri.TryCreate(endpoint, UriKind.Absolute, out Uri? withUser) && !string.IsNullOrEmpty(withUser.UserInfo))))
        {
            // Not echoed: the user information may hold a password.
            return "An etcd endpoint must not carry user information; set Username and Password instead.";
        }

        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host))
        {
            return $"'{endpoint}' is not an etcd endpoint; expected http://host:port or https://host:port.";
        }

        if (uri.Scheme == Uri.UriSchemeHttp && (CertificateFile is not null || CaFile is not null))
        {
            return $"Endpoint '{endpoint}' is plain HTTP but TLS files are set; use https:// endpoints.";
        }

        return null;
    }

    /// <summary>The endpoints in use: <see cref="Endpoints"/>, or <see cref="DefaultEndpoint"/> when it is empty.</summary>
    internal IReadOnlyList<string> EffectiveEndpoints => Endpoints is { Count: > 0 } endpoints ? endpoints : [DefaultEndpoint];

    /// <summary>The prefix without trailing slashes, as flannel's path join leaves it.</summary>
    internal string NormalizedPrefix
    {
        get
        {
            string prefix = Prefix.TrimEnd('/');
            return prefix.Length == 0 ? string.Empty : prefix;
        }
    }
}

/// <summary>How an invalid setting is reported by <see cref="EtcdSubnetRegistryOptions.Validate"/>.</summary>
internal enum OptionFailureKind
{
    Invalid,
    OutOfRange,
    Null,
}

/// <summary>One invalid setting of <see cref="EtcdSubnetRegistryOptions"/>: the option's name and
/// what is wrong with it (never the password).</summary>
internal sealed record OptionFailure(string Option, string Message, OptionFailureKind Kind = OptionFailureKind.Invalid)
{
    public ArgumentException ToException() => Kind switch
    {
        OptionFailureKind.OutOfRange => new ArgumentOutOfRangeException(Option, Message),
        OptionFailureKind.Null => new ArgumentNullException(Option, Message),
        _ => new ArgumentException(Message, Option),
    };
}
