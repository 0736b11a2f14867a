//! The services whose RPCs are in the contract but served by later work:
//! they authenticate like the others and answer UNIMPLEMENTED.

use std::pin::Pin;

use tokio_stream::Stream;
use tonic::{Request, Response, Status, Streaming};

use crate::{
    error::Error,
    pb::{self, media_service_server::MediaService, template_service_server::TemplateService},
};

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

fn todo<T>(rpc: &'static str) -> Result<T, Status> {
    Err(Error::Unimplemented(rpc).into())
}

/// MediaService, not served yet.
pub(super) struct Media;

#[tonic::async_trait]
impl MediaService for Media {
    async fn upload_media(
        &self,
        _: Request<Streaming<pb::UploadMediaRequest>>,
    ) -> Result<Response<pb::UploadMediaResponse>, Status> {
        todo("MediaService.UploadMedia")
    }

    async fn get_media(&self, _: Request<pb::GetMediaRequest>) -> Result<Response<pb::GetMediaResponse>, Status> {
        todo("MediaService.GetMedia")
    }

    type DownloadMediaStream = BoxStream<pb::DownloadMediaResponse>;

    async fn download_media(
        &self,
        _: Request<pb::DownloadMediaRequest>,
    ) -> Result<Response<Self::DownloadMediaStream>, Status> {
        todo("MediaService.DownloadMedia")
    }

    async fn delete_media(
        &self,
        _: Request<pb::DeleteMediaRequest>,
    ) -> Result<Response<pb::DeleteMediaResponse>, Status> {
        todo("MediaService.DeleteMedia")
    }
}

/// TemplateService, not served yet.
pub(super) struct Templates;

#[tonic::async_trait]
impl TemplateService for Templates {
    async fn create_template(
        &self,
        _: Request<pb::CreateTemplateRequest>,
    ) -> Result<Response<pb::CreateTemplateResponse>, Status> {
        todo("TemplateService.CreateTemplate")
    }

    async fn get_template(
        &self,
        _: Request<pb::GetTemplateRequest>,
    ) -> Result<Response<pb::GetTemplateResponse>, Status> {
        todo("TemplateService.GetTemplate")
    }

    async fn list_templates(
        &self,
        _: Request<pb::ListTemplatesRequest>,
    ) -> Result<Response<pb::ListTemplatesResponse>, Status> {
        todo("TemplateService.ListTemplates")
    }

    async fn update_template(
        &self,
        _: Request<pb::UpdateTemplateRequest>,
    ) -> Result<Response<pb::UpdateTemplateResponse>, Status> {
        todo("TemplateService.UpdateTemplate")
    }

    async fn delete_template(
        &self,
        _: Request<pb::DeleteTemplateRequest>,
    ) -> Result<Response<pb::DeleteTemplateResponse>, Status> {
        todo("TemplateService.DeleteTemplate")
    }
}
