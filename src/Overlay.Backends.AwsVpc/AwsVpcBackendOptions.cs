using Overlay.Backends.CloudRoutes;

namespace Overlay.Backends.AwsVpc;

/// <summary>
/// The host-side settings of one node's aws-vpc backend: every endpoint it talks to, its credentials,
/// the metadata protocol and the cloud-route engine's settings. Several nodes in one process (the demo,
/// tests) each get their own. Hosts read <c>AWS_*</c> environment variables once and turn them into these.
/// </summary>
public sealed class AwsVpcBackendOptions
{
    /// <summary>The default instance metadata endpoint.</summary>
    public static readonly Uri DefaultMetadataEndpoint = new("http://169.254.169.254/");

    /// <summary>The EC2 API endpoint (<c>https://ec2.eu-west-1.amazonaws.com</c>, a VPC endpoint, a double);
    /// null: the SDK's endpoint for <see cref="Region"/>.</summary>
    public Uri? Ec2Endpoint { get; set; }

    /// <summary>The instance metadata endpoint. Default <c>http://169.254.169.254/</c>.</summary>
    public Uri MetadataEndpoint { get; set; } = DefaultMetadataEndpoint;

    /// <summary>The region (<c>eu-west-1</c>); null: read from instance metadata (<c>placement/region</c>).
    /// It is also the SigV4 signing region when <see cref="Ec2Endpoint"/> is set.</summary>
    public string? Region { get; set; }

    /// <summary>The instance id; null: read from instance metadata (<c>instance-id</c>). With <see cref="Region"/> set
    /// too, instance metadata is not used at all.</summary>
    public string? InstanceId { get; set; }

    /// <summary>The access key id; with <see cref="SecretAccessKey"/> (and optionally <see cref="SessionToken"/>) these
    /// credentials are used. Null: the instance role's credentials, read through instance metadata at
    /// <see cref="MetadataEndpoint"/> (IMDSv2) and refreshed before they expire — or the SDK's default chain with
    /// <see cref="UseSdkCredentialChain"/>.</summary>
    public string? AccessKeyId { get; set; }

    /// <summary>The secret access key (never logged).</summary>
    public string? SecretAccessKey { get; set; }

    /// <summary>The session token of temporary credentials (never logged).</summary>
    public string? SessionToken { get; set; }

    /// <summary>Without static keys, use the SDK's default credential chain (environment, shared files, SSO, its own
    /// instance-metadata lookup at the real address) instead of the instance role through <see cref="MetadataEndpoint"/>.
    /// Default false; never in tests and demos.</summary>
    public bool UseSdkCredentialChain { get; set; }

    /// <summary>Allow IMDSv1 (plain GET without a token) when the token request fails. Default false: IMDSv2 only,
    /// which every instance supports and many require.</summary>
    public bool AllowImdsV1 { get; set; }

    /// <summary>The lifetime asked for IMDSv2 tokens. Default six hours.</summary>
    public TimeSpan MetadataTokenLifetime { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Timeout of one HTTP request (metadata and EC2). Default 10 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Refuse every connection outside 127.0.0.0/8 and 198.18.0.0/15 and to host names
    /// (<see cref="LabConnectGuard"/>): on in tests and demos. Default false.</summary>
    public bool RestrictConnectionsToLab { get; set; }

    /// <summary>The cloud-route engine's settings (period, back-off, quota, clean-up, shutdown).</summary>
    public CloudRouteOptions CloudRoutes { get; set; } = new();

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">A value is invalid; the message names it.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(MetadataEndpoint, nameof(MetadataEndpoint));
        ArgumentNullException.ThrowIfNull(CloudRoutes, nameof(CloudRoutes));
        if (!MetadataEndpoint.IsAbsoluteUri)
        {
            throw new ArgumentException("MetadataEndpoint must be an absolute URI.", nameof(MetadataEndpoint));
        }

        if (Ec2Endpoint is { IsAbsoluteUri: false })
        {
            throw new ArgumentException("Ec2Endpoint must be an absolute URI.", nameof(Ec2Endpoint));
        }

        if ((AccessKeyId is null) != (SecretAccessKey is null))
        {
            throw new ArgumentException("AccessKeyId and SecretAccessKey must be set together.", AccessKeyId is null ? nameof(AccessKeyId) : nameof(SecretAccessKey));
        }

        if (UseSdkCredentialChain && AccessKeyId is not null)
        {
            throw new ArgumentException("UseSdkCredentialChain and static keys (AccessKeyId) exclude each other.", nameof(UseSdkCredentialChain));
        }

        if (SessionToken is not null && AccessKeyId is null)
        {
            throw new ArgumentException("SessionToken needs AccessKeyId and SecretAccessKey.", nameof(SessionToken));
        }

        if (RequestTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(RequestTimeout), RequestTimeout, "RequestTimeout must be positive.");
        }

        if (MetadataTokenLifetime < TimeSpan.FromSeconds(1) || MetadataTokenLifetime > TimeSpan.FromHours(6))
        {
            throw new ArgumentOutOfRangeException(nameof(MetadataTokenLifetime), MetadataTokenLifetime, "MetadataTokenLifetime must be between 1 second and 6 hours.");
        }

        CloudRoutes.Validate();
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"Ec2Endpoint={Ec2Endpoint?.ToString() ?? "(region default)"}, MetadataEndpoint={MetadataEndpoint}, Region={Region ?? "(metadata)"}, Credentials={(AccessKeyId is not null ? "static" : UseSdkCredentialChain ? "SDK chain" : "instance role via MetadataEndpoint")}, AllowImdsV1={AllowImdsV1}, RestrictConnectionsToLab={RestrictConnectionsToLab}";
}
